import { InvalidArgumentError } from '../errors/index.js';
import type { ContainerConfigJson } from '../image/index.js';
import { goQuote, parseGoDuration } from '../util/index.js';

import type { Instruction } from './parser.js';

/** Go's `%q` of a []string, as dockerd writes CMD/ENTRYPOINT into history. */
const goList = (l: readonly string[]): string => `[${l.map((s) => goQuote(s)).join(' ')}]`;

/**
 * The instructions that only change the image config (moby builder/dockerfile/dispatchers.go).
 * `words` are the arguments after Docker's expansion where Docker expands them. Returns the
 * new config, the stage's SHELL, and the history text dockerd records (after `#(nop)  `).
 */
export function applyConfigInstruction(base: ContainerConfigJson, shell: string[], ins: Instruction, words: string[], isCmdSet = false): { config: ContainerConfigJson; shell: string[]; createdBy: string } {
  const c: ContainerConfigJson = structuredClone(base);
  const upper = ins.cmd.toUpperCase();
  const command = (): string[] => (ins.isJson ? words : [...shell, words[0] ?? '']);
  switch (ins.cmd) {
    case 'env': {
      const env = [...(c.Env ?? [])];
      const pairs: string[] = [];
      for (let i = 0; i < words.length; i += 2) {
        const k = words[i]!; const v = words[i + 1]!;
        const at = env.findIndex((e) => e.split('=')[0] === k);
        if (at >= 0) env[at] = `${k}=${v}`; else env.push(`${k}=${v}`);
        pairs.push(`${k}=${v}`);
      }
      c.Env = env;
      return { config: c, shell, createdBy: `ENV ${pairs.join(' ')}` };
    }
    case 'label': {
      c.Labels = { ...(c.Labels ?? {}) };
      const pairs: string[] = [];
      for (let i = 0; i < words.length; i += 2) { c.Labels[words[i]!] = words[i + 1]!; pairs.push(`${words[i]}=${words[i + 1]}`); }
      return { config: c, shell, createdBy: `LABEL ${pairs.join(' ')}` };
    }
    case 'cmd': {
      c.Cmd = ins.args.length === 0 ? null : command();
      if (!ins.isJson) c.ArgsEscaped = true;
      return { config: c, shell, createdBy: `CMD ${goList(c.Cmd ?? [])}` };
    }
    case 'entrypoint': {
      c.Entrypoint = ins.args.length === 0 ? null : command();
      // As dockerd: a new ENTRYPOINT drops the CMD inherited from the base image, not one
      // this stage set.
      if (!isCmdSet) c.Cmd = null;
      return { config: c, shell, createdBy: `ENTRYPOINT ${goList(c.Entrypoint ?? [])}` };
    }
    case 'expose': {
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      const ports: string[] = [];
      for (const w of words) {
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
        if (!m) throw new InvalidArgumentError(`invalid containerPort: ${w}`);
        const proto = (m[3] ?? 'tcp').toLowerCase();
        for (let p = Number(m[1]); p <= Number(m[2] ?? m[1]); p++) { c.ExposedPorts[`${p}/${proto}`] = {}; ports.push(`${p}/${proto}`); }
      }
      return { config: c, shell, createdBy: `EXPOSE ${words.join(' ')}` };
    }
    case 'volume': {
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of words) {
        if (v.trim() === '') throw new InvalidArgumentError('VOLUME specified can not be an empty string');
        c.Volumes[v] = {};
      }
      return { config: c, shell, createdBy: `VOLUME [${words.join(' ')}]` };
    }
    case 'user': c.User = words[0]!; return { config: c, shell, createdBy: `USER ${words[0]}` };
    case 'stopsignal': c.StopSignal = words[0]!; return { config: c, shell, createdBy: `STOPSIGNAL ${words[0]}` };
    case 'shell': c.Shell = [...words]; return { config: c, shell: [...words], createdBy: `SHELL ${goList(words)}` };
    case 'onbuild': c.OnBuild = [...(c.OnBuild ?? []), words[0]!]; return { config: c, shell, createdBy: `ONBUILD ${words[0]}` };
    case 'maintainer': return { config: c, shell, createdBy: `MAINTAINER ${words[0]}` };
    case 'healthcheck': {
      if (words[0] === 'NONE') c.Healthcheck = { Test: ['NONE'] };
      else {
        const f = ins.flags;
        const dur = (name: string): number => {
          const v = f[name];
          if (v === undefined) return 0;
          const ns = parseGoDuration(v);
          if (ns !== 0 && ns < 1_000_000) throw new InvalidArgumentError(`Interval "${name}" cannot be less than 1ms`);
          return ns;
        };
        const retries = f.retries === undefined ? 0 : Number(f.retries);
        if (!Number.isInteger(retries) || retries < 0) throw new InvalidArgumentError('--retries cannot be negative');
        c.Healthcheck = { Test: words, Interval: dur('interval'), Timeout: dur('timeout'), StartPeriod: dur('start-period'), StartInterval: dur('start-interval'), Retries: retries };
      }
      return { config: c, shell, createdBy: `HEALTHCHECK ${goList(c.Healthcheck.Test ?? [])}` };
    }
    default: throw new InvalidArgumentError(`unknown instruction: ${upper}`);
  }
}
