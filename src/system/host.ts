import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import { exec } from '../util/index.js';

/**
 * Facts about the host that `/info` and `/version` report, read once at start; what its
 * kernel supports is the SysInfo probe's (sysinfo/).
 */
export interface HostFacts {
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  ncpu: number;
  memTotal: number;
  cgroupVersion: '1' | '2';
  backingFilesystem: string;
  runtimeCommits: Record<string, string>;
  initVersion: string;
}

const FS_MAGIC: Record<number, string> = {
  0xef53: 'extfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs', 0x2fc12fc1: 'zfs', 0x6969: 'nfs',
};

export async function readHostFacts(dataRoot: string, runtimes: Record<string, { path: string }>, initPath: string): Promise<HostFacts> {
  const osRelease = parseOsRelease();
  const cgroupVersion = isCgroup2Unified() ? '2' : '1';
  const stat = await fsp.statfs(dataRoot);
  const commits: Record<string, string> = {};
  for (const [name, rt] of Object.entries(runtimes)) commits[name] = await runtimeCommit(rt.path);
  return {
    kernelVersion: os.release(),
    operatingSystem: osRelease.PRETTY_NAME ?? 'Linux',
    osVersion: osRelease.VERSION_ID ?? '',
    ncpu: os.cpus().length,
    memTotal: os.totalmem(),
    cgroupVersion,
    backingFilesystem: FS_MAGIC[Number(stat.type)] ?? `0x${Number(stat.type).toString(16)}`,
    runtimeCommits: commits,
    initVersion: await initVersion(initPath),
  };
}

function parseOsRelease(): Record<string, string> {
  const out: Record<string, string> = {};
  const text = readFirstFile(['/etc/os-release', '/usr/lib/os-release']);
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=("?)(.*)\2$/.exec(line.trim());
    if (m) out[m[1]!] = m[3]!;
  }
  return out;
}

function readFirstFile(paths: string[]): string {
  for (const p of paths) if (existsSync(p)) return readFileSync(p, 'utf8');
  return '';
}

/** The v2 unified hierarchy is mounted at /sys/fs/cgroup itself (not hybrid's unified/). */
export function isCgroup2Unified(): boolean {
  return existsSync('/sys/fs/cgroup/cgroup.controllers');
}

async function runtimeCommit(bin: string): Promise<string> {
  const r = await exec(bin, ['--version'], { allowFailure: true, timeoutMs: 5000 }).catch(() => undefined);
  if (!r || r.code !== 0) return 'N/A';
  const text = r.stdout.toString('utf8');
  return /commit: (\S+)/.exec(text)?.[1] ?? /version (\S+)/.exec(text)?.[1] ?? 'N/A';
}

async function initVersion(bin: string): Promise<string> {
  const r = await exec(bin, ['--version'], { allowFailure: true, timeoutMs: 5000 }).catch(() => undefined);
  if (!r || r.code !== 0) return 'N/A';
  return /git\.([0-9a-f]+)/.exec(r.stdout.toString('utf8'))?.[1] ?? r.stdout.toString('utf8').trim();
}
