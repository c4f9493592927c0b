import { exec, type Logger } from '../util/index.js';

/**
 * netavark's shared chains (ADR 12): `NETAVARK_FORWARD` in filter and `NETAVARK-HOSTPORT-*` in
 * nat, with their jumps from the built-in chains. netavark adds them on first use and never
 * removes them; berth removes them once nothing of netavark's is left in them, so a host
 * without berth networks in use has none of its rules. A chain that still holds rules (another
 * berthd's, or Podman's) keeps everything in place.
 */
const SHARED = /^(NETAVARK_FORWARD|NETAVARK-HOSTPORT-(DNAT|MASQ|SETMARK))$/;
/** Rules netavark puts in shared chains once and for all: they do not make the chain busy. */
const STATIC_RULES = [/^-A NETAVARK-HOSTPORT-MASQ .*--mark 0x2000\/0x2000 -j MASQUERADE$/, /^-A NETAVARK-HOSTPORT-SETMARK -j MARK --set-xmark 0x2000\/0x2000$/];

interface Table { name: 'filter' | 'nat'; chains: string[]; rules: string[] }

type Family = 'iptables' | 'ip6tables';

async function readTable(family: Family, name: Table['name']): Promise<Table> {
  const out = (await exec(`${family}-save`, ['-t', name], { timeoutMs: 30_000 })).stdout.toString('utf8').split('\n');
  return {
    name,
    chains: out.filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]!),
    rules: out.filter((l) => l.startsWith('-A ')),
  };
}

/** Whether any per-network chain or any dynamic rule of netavark's is still in place. */
export function isNetavarkBusy(tables: readonly Table[]): boolean {
  for (const t of tables) {
    if (t.chains.some((c) => c.startsWith('NETAVARK') && !SHARED.test(c))) return true;
    for (const r of t.rules) {
      const chain = r.split(' ')[1]!;
      if (SHARED.test(chain) && !STATIC_RULES.some((re) => re.test(r))) return true;
    }
  }
  return false;
}

/** Splits an iptables-save rule back into argv (quoted comments included). */
export function ruleArgs(rule: string): string[] {
  return (rule.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? []).map((a) => (a.startsWith('"') ? a.slice(1, -1).replace(/\\"/g, '"') : a));
}

/**
 * Removes netavark's shared chains when they are idle, for IPv4 and IPv6 (networks with IPv6
 * get the same chains from ip6tables); returns whether it did for both.
 */
export async function removeIdleNetavarkChains(logger: Logger): Promise<boolean> {
  let removed = true;
  for (const family of ['iptables', 'ip6tables'] as const) removed = await removeIdle(family, logger) && removed;
  return removed;
}

async function removeIdle(family: Family, logger: Logger): Promise<boolean> {
  const tables = [await readTable(family, 'filter'), await readTable(family, 'nat')];
  if (isNetavarkBusy(tables)) return false;
  for (const t of tables) {
    const shared = t.chains.filter((c) => SHARED.test(c));
    if (shared.length === 0) continue;
    for (const r of t.rules) {
      const args = ruleArgs(r);
      const chain = args[1]!;
      const target = args[args.indexOf('-j') + 1];
      if (SHARED.test(chain) || !target || !shared.includes(target)) continue;
      await exec(family, ['-t', t.name, '-D', chain, ...args.slice(2)], { timeoutMs: 30_000, allowFailure: true });
    }
    for (const c of shared) await exec(family, ['-t', t.name, '-F', c], { timeoutMs: 30_000, allowFailure: true });
    for (const c of shared) {
      const r = await exec(family, ['-t', t.name, '-X', c], { timeoutMs: 30_000, allowFailure: true });
      if (r.code !== 0) logger.warn({ component: 'network', chain: c, err: r.stderr.trim() }, 'could not remove a netavark chain');
    }
  }
  return true;
}
