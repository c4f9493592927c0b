import { InvalidArgumentError } from '../errors/index.js';
import type { ContainerConfigJson } from './types.js';

/**
 * Applies Dockerfile instructions given as `--change` to `docker import` and `docker commit`.
 * Docker allows only instructions that change the config, not the filesystem.
 */
const ALLOWED = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

export function applyChanges(base: ContainerConfigJson, changes: readonly string[]): ContainerConfigJson {
  const cfg: ContainerConfigJson = structuredClone(base);
  for (const raw of changes) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    const instr = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    if (!ALLOWED.has(instr)) throw new InvalidArgumentError(`${m[1]} is not a valid change command`);
    applyOne(cfg, instr, rest, line);
  }
  return cfg;
}

function applyOne(cfg: ContainerConfigJson, instr: string, rest: string, line: string): void {
  switch (instr) {
    case 'CMD': cfg.Cmd = commandForm(rest, cfg); break;
    case 'ENTRYPOINT': cfg.Entrypoint = commandForm(rest, cfg); break;
    case 'ENV': {
      const env = cfg.Env ? [...cfg.Env] : [];
      for (const [k, v] of keyValues(rest, line, true)) {
        const i = env.findIndex((e) => e.split('=')[0] === k);
        if (i >= 0) env[i] = `${k}=${v}`; else env.push(`${k}=${v}`);
      }
      cfg.Env = env;
      break;
    }
    case 'LABEL': {
      cfg.Labels = { ...(cfg.Labels ?? {}) };
      for (const [k, v] of keyValues(rest, line, false)) cfg.Labels[k] = v;
      break;
    }
    case 'EXPOSE': {
      cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}) };
      for (const p of words(rest)) {
        if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw new InvalidArgumentError(`invalid containerPort: ${p}`);
        cfg.ExposedPorts[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
      }
      break;
    }
    case 'VOLUME': {
      cfg.Volumes = { ...(cfg.Volumes ?? {}) };
      const list = rest.startsWith('[') ? jsonArray(rest, line) : words(rest);
      for (const v of list) cfg.Volumes[v] = {};
      break;
    }
    case 'ONBUILD': cfg.OnBuild = [...(cfg.OnBuild ?? []), rest]; break;
    case 'STOPSIGNAL': cfg.StopSignal = one(rest, line); break;
    case 'USER': cfg.User = one(rest, line); break;
    case 'WORKDIR': cfg.WorkingDir = one(rest, line); break;
  }
}

function commandForm(rest: string, cfg: ContainerConfigJson): string[] {
  if (rest.startsWith('[')) {
    try {
      const v = JSON.parse(rest) as unknown;
      if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
    } catch { /* not JSON: Docker then treats the text as the shell form */ }
  }
  return [...(cfg.Shell ?? ['/bin/sh', '-c']), rest];
}

function jsonArray(rest: string, line: string): string[] {
  try {
    const v = JSON.parse(rest) as unknown;
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  } catch { /* reported below */ }
  throw new InvalidArgumentError(`invalid JSON array in change: ${line}`);
}

function one(rest: string, line: string): string {
  if (!rest) throw new InvalidArgumentError(`${line.split(/\s/)[0]} requires exactly one argument`);
  return rest;
}

/** Splits on whitespace, honouring double and single quotes and backslash escapes. */
export function words(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") { quote = c; has = true; }
    else if (c === '\\' && i + 1 < s.length) { cur += s[++i]; has = true; }
    else if (/\s/.test(c)) { if (has || cur) out.push(cur); cur = ''; has = false; }
    else { cur += c; has = true; }
  }
  if (quote) throw new InvalidArgumentError(`unmatched quote in: ${s}`);
  if (has || cur) out.push(cur);
  return out;
}

/** `k=v k2="v 2"`, or for ENV the legacy `KEY value with spaces` form. */
function keyValues(rest: string, line: string, allowLegacy: boolean): Array<[string, string]> {
  const first = /^(\S+)/.exec(rest)?.[1] ?? '';
  if (allowLegacy && !first.includes('=')) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(rest);
    if (!m) throw new InvalidArgumentError(`ENV requires two arguments: ${line}`);
    return [[m[1]!, m[2]!]];
  }
  return words(rest).map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`key=value expected in: ${line}`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}
