import type { BlkioEntry } from './raw-stats.js';

/**
 * v1 blkio files: "MAJ:MIN Op value" lines (or "MAJ:MIN value" for sectors and time), ending
 * with a "Total value" line that containerd skips and so do we.
 */
export function parseBlkioV1(text: string | undefined): BlkioEntry[] | undefined {
  if (text === undefined) return undefined;
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/[\s:]+/).filter(Boolean);
    if (fields.length < 3) continue;
    const [major, minor] = fields;
    const op = fields.length === 4 ? fields[2]! : '';
    out.push({ major: Number(major), minor: Number(minor), op, value: Number(fields[fields.length - 1]) });
  }
  return out;
}

/**
 * v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device. dockerd
 * turns each device into a "read" and a "write" entry of io_service_bytes_recursive.
 */
export function parseIoStatV2(text: string | undefined): BlkioEntry[] | undefined {
  if (text === undefined) return undefined;
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, ...pairs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(device ?? '');
    if (!m) continue;
    const kv = new Map(pairs.map((p) => p.split('=') as [string, string]));
    const entry = (op: string, key: string) => ({ major: Number(m[1]), minor: Number(m[2]), op, value: Number(kv.get(key) ?? 0) });
    out.push(entry('read', 'rbytes'), entry('write', 'wbytes'));
  }
  return out;
}
