import { readFile } from 'node:fs/promises';

/**
 * USER_HZ. Linux fixes it at 100 for user space; dockerd and containerd hard-code it too
 * rather than calling sysconf(_SC_CLK_TCK).
 */
export const CLOCK_TICKS_PER_SECOND = 100;
const NS_PER_TICK = 1e9 / CLOCK_TICKS_PER_SECOND;

/**
 * Host CPU time and online CPU count from /proc/stat text, computed as dockerd's
 * readSystemCPUUsage does: the first seven fields of the aggregate "cpu " line (user, nice,
 * system, idle, iowait, irq, softirq; steal and guest are left out), and one CPU per "cpuN" line.
 * The docker CLI's CPU % divides the container's delta by the delta of this number.
 */
export function parseProcStat(text: string): { systemCpuNs: number; onlineCpus: number } {
  let systemCpuNs = 0;
  let onlineCpus = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) break; // the cpu lines come first, as glibc assumes too
    if (line[3] === ' ') {
      const fields = line.trim().split(/\s+/).slice(1, 8);
      if (fields.length < 7) throw new Error(`invalid number of cpu fields in /proc/stat: ${line}`);
      const ticks = fields.reduce((sum, f) => sum + Number(f), 0);
      systemCpuNs = ticks * NS_PER_TICK;
    } else if (/^cpu\d/.test(line)) {
      onlineCpus++;
    }
  }
  return { systemCpuNs, onlineCpus };
}

/** system_cpu_usage for the stats JSON: host CPU time in nanoseconds. */
export async function readSystemCpuNs(): Promise<number> {
  return parseProcStat(await readFile('/proc/stat', 'utf8')).systemCpuNs;
}

/** online_cpus as dockerd counts them (cpuN lines of /proc/stat). */
export async function readOnlineCpus(): Promise<number> {
  return parseProcStat(await readFile('/proc/stat', 'utf8')).onlineCpus;
}
