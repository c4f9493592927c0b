import { readFile } from 'node:fs/promises';

/**
 * One interface's counters as `GET /containers/{id}/stats` writes them under `networks`
 * (moby's api/types/container.NetworkStats; endpoint_id and instance_id are omitempty and
 * dockerd leaves them empty on Linux).
 */
export interface InterfaceStats {
  rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number;
  tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number;
}

/**
 * Parses /proc/net/dev: two header lines, then `name: rx(8 columns) tx(8 columns)`, where
 * rx is bytes packets errs drop fifo frame compressed multicast and tx is bytes packets errs
 * drop fifo colls carrier compressed. `lo` is left out: dockerd reports the sandbox's
 * endpoint interfaces only.
 */
export function parseNetDev(text: string): Record<string, InterfaceStats> {
  const out: Record<string, InterfaceStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const n = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (name === 'lo' || n.length < 16 || n.some((x) => !Number.isFinite(x))) continue;
    out[name] = {
      rx_bytes: n[0]!, rx_packets: n[1]!, rx_errors: n[2]!, rx_dropped: n[3]!,
      tx_bytes: n[8]!, tx_packets: n[9]!, tx_errors: n[10]!, tx_dropped: n[11]!,
    };
  }
  return out;
}

/**
 * The interfaces of the network namespace `pid` lives in, read from /proc/<pid>/net/dev
 * (procfs answers for the reader's target's namespace, so no setns is needed). undefined when
 * the process is gone (ENOENT/ESRCH: it exited between the state check and the read) or the
 * namespace has no interface but lo, which dockerd's omitempty leaves out.
 */
export async function readInterfaceStats(pid: number): Promise<Record<string, InterfaceStats> | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/net/dev`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw err;
  }
  const stats = parseNetDev(text);
  return Object.keys(stats).length ? stats : undefined;
}
