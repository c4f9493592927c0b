/**
 * The values docker's run/create/update flags hold (docker/cli opts, docker/go-units):
 * memory sizes, CPU counts, ulimits, restart policies, block-IO device limits. Each parser
 * throws docker's own text; the flag parser wraps it as pflag does.
 */
import type { RestartPolicy, ThrottleDevice, WeightDevice } from '../../types/container.js';
import { parseGoFloat, parseGoInt, parseGoUint } from './go-parse.js';

export { parseUlimit } from '../../util/index.js';

const BINARY: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: "512m", "1.5GiB", "100 kb", "42" (bytes); units are binary. */
export function ramInBytes(size: string): number {
  let sep = -1;
  for (let i = size.length - 1; i >= 0; i--) {
    if ('01234567890. '.includes(size[i]!)) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new Error(`invalid size: '${size}'`);
  const num = size[sep] === ' ' ? size.slice(0, sep) : size.slice(0, sep + 1);
  let sfx = size.slice(sep + 1);
  const value = parseGoFloat(num);
  if (value < 0) throw new Error(`invalid size: '${size}'`);
  if (sfx.length === 0) return Math.trunc(value);
  const badSuffix = (): never => {
    throw new Error(`invalid suffix: '${sfx}'`);
  };
  if (sfx.length > 3) badSuffix();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) badSuffix();
    return Math.trunc(value);
  }
  const mul = BINARY[sfx[0]!];
  if (mul === undefined) badSuffix();
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) badSuffix();
  return Math.trunc(value * mul!);
}

/** opts.MemSwapBytes: a size, or -1 for unlimited swap. */
export function memSwapBytes(value: string): number {
  return value === '-1' ? -1 : ramInBytes(value);
}

/**
 * opts.ParseCPUs: a rational number of CPUs ("1.5", "3/2", "2e-1") as nano-CPUs; more
 * precision than a nano-CPU is an error.
 */
export function parseCpus(value: string): number {
  const rat = parseRational(value);
  if (!rat) throw new Error(`failed to parse ${value} as a rational number`);
  const nano = rat.num * 1_000_000_000n;
  if (nano % rat.den !== 0n) throw new Error('value is too precise');
  return Number(nano / rat.den);
}

/** big.Rat.SetString: "a/b", or a decimal with an optional exponent. */
function parseRational(s: string): { num: bigint; den: bigint } | undefined {
  const frac = /^([+-]?\d+)\/(\d+)$/.exec(s);
  if (frac) {
    const den = BigInt(frac[2]!);
    return den === 0n ? undefined : { num: BigInt(frac[1]!), den };
  }
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const digits = `${m[2]}${m[3] ?? ''}`;
  let num = BigInt(digits || '0') * (m[1] === '-' ? -1n : 1n);
  let den = 10n ** BigInt((m[3] ?? '').length);
  const exp = Number(m[4] ?? '0');
  if (exp > 0) num *= 10n ** BigInt(exp);
  else if (exp < 0) den *= 10n ** BigInt(-exp);
  return { num, den };
}

/** big.NewRat(nanos, 1e9).FloatString(3), as `--cpus` prints its value. */
export function formatCpus(nanos: number): string {
  return (nanos / 1e9).toFixed(3);
}

/** opts.ParseRestartPolicy: "policy[:max-retries]"; the daemon validates the policy's name. */
export function parseRestartPolicy(policy: string): RestartPolicy {
  if (policy === '') return {};
  const colon = policy.indexOf(':');
  const name = colon >= 0 ? policy.slice(0, colon) : policy;
  const count = colon >= 0 ? policy.slice(colon + 1) : '';
  if (colon >= 0 && name === '') throw new Error('invalid restart policy format: no policy provided before colon');
  let max = 0;
  if (count !== '') {
    try {
      max = parseGoInt(count);
    } catch {
      throw new Error('invalid restart policy format: maximum retry count must be an integer');
    }
  }
  return { Name: name as RestartPolicy['Name'], MaximumRetryCount: max };
}

function devicePathAndValue(val: string): [string, string] {
  const colon = val.indexOf(':');
  if (colon <= 0) throw new Error(`bad format: ${val}`);
  const path = val.slice(0, colon);
  if (!path.startsWith('/dev/')) throw new Error(`bad format for device path: ${val}`);
  return [path, val.slice(colon + 1)];
}

/** opts.ValidateThrottleBpsDevice: "/dev/sda:10mb". */
export function parseThrottleBps(val: string): Required<ThrottleDevice> {
  const [path, v] = devicePathAndValue(val);
  let rate: number;
  try {
    rate = ramInBytes(v);
  } catch {
    rate = -1;
  }
  if (rate < 0) {
    throw new Error(`invalid rate for device: ${val}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`);
  }
  return { Path: path, Rate: rate };
}

/** opts.ValidateThrottleIOpsDevice: "/dev/sda:1000". */
export function parseThrottleIops(val: string): Required<ThrottleDevice> {
  const [path, v] = devicePathAndValue(val);
  try {
    return { Path: path, Rate: parseGoUint(v) };
  } catch {
    throw new Error(`invalid rate for device: ${val}. The correct format is <device-path>:<number>. Number must be a positive integer`);
  }
}

/** opts.ValidateWeightDevice: "/dev/sda:200", weight 10..1000 or 0. */
export function parseWeightDevice(val: string): Required<WeightDevice> {
  const [path, v] = devicePathAndValue(val);
  let weight: number;
  try {
    weight = parseGoUint(v, 16);
  } catch {
    throw new Error(`invalid weight for device: ${val}`);
  }
  if (weight > 0 && (weight < 10 || weight > 1000)) throw new Error(`invalid weight for device: ${val}`);
  return { Path: path, Weight: weight };
}
