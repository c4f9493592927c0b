import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import { connect } from 'node:net';
import assert from 'node:assert/strict';
import { exec, waitFor } from '../../src/util/index.js';
import type { TestDaemon } from './daemon.js';

/** What a network test may leave behind, listed before and after (issue 12's leak check). */
export interface NetState {
  links: string[];
  netns: string[];
  /** iptables rules and chains of netavark's (filter and nat). */
  rules: string[];
  /** aardvark-dns processes (not zombies) serving a config dir under `configRoot`. */
  aardvark: string[];
}

export async function netState(configRoot: string): Promise<NetState> {
  const links = (JSON.parse((await exec('ip', ['-j', 'link', 'show'])).stdout.toString() || '[]') as Array<{ ifname: string }>).map((l) => l.ifname).sort();
  const netns = (await exec('ip', ['netns', 'list'])).stdout.toString().split('\n').map((l) => l.split(' ')[0]!).filter(Boolean).sort();
  const rules: string[] = [];
  for (const t of ['filter', 'nat']) {
    const text = (await exec('iptables-save', ['-t', t])).stdout.toString();
    rules.push(...text.split('\n').filter((l) => l.includes('NETAVARK')).map((l) => `${t}: ${l.replace(/\[\d+:\d+\]/, '')}`));
  }
  const aardvark: string[] = [];
  for (const pid of await fsp.readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = (await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ');
    if (!cmd.includes('aardvark-dns') || !cmd.includes(configRoot)) continue;
    const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (stat && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') aardvark.push(`${pid} ${cmd}`);
  }
  return { links, netns, rules: rules.sort(), aardvark };
}

/** `ip netns add`; the returned function removes it (idempotent). */
export async function addNetns(name: string): Promise<() => Promise<void>> {
  await exec('ip', ['netns', 'add', name]);
  await exec('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return async () => { await exec('ip', ['netns', 'del', name], { allowFailure: true }); };
}

export function nsExec(ns: string, args: string[], opts: { allowFailure?: boolean; timeoutMs?: number } = {}) {
  return exec('ip', ['netns', 'exec', ns, ...args], { allowFailure: opts.allowFailure, timeoutMs: opts.timeoutMs ?? 20_000 });
}

/**
 * A TCP server inside a namespace that answers `reply` to every connection: a Node process
 * under `ip netns exec`, ready once it prints "ready". The returned function stops it.
 */
export async function serveInNetns(ns: string, port: number, reply: string): Promise<() => Promise<void>> {
  const code = `require('net').createServer((s) => s.end(${JSON.stringify(reply)})).listen(${port}, () => console.log('ready'))`;
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = once(child, 'close');
    child.kill('SIGKILL');
    await gone;
  };
  await new Promise<void>((resolve, reject) => {
    const onData = () => { if (out.includes('ready')) { child.stdout!.off('data', onData); resolve(); } };
    child.stdout!.on('data', onData);
    child.once('close', (c) => reject(new Error(`server in ${ns} exited with ${c}: ${out}`)));
  });
  return stop;
}

/** Connects, reads until the server closes, and returns what it sent. */
export function fetchTcp(host: string, port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    let got = '';
    s.setTimeout(timeoutMs, () => { s.destroy(); reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)); });
    s.on('data', (c: Buffer) => { got += c.toString(); });
    s.on('end', () => { s.destroy(); resolve(got); });
    s.on('error', reject);
  });
}

/** The host's first non-loopback IPv4 address (its "other address" for published ports). */
export async function hostAddress(): Promise<string> {
  const links = JSON.parse((await exec('ip', ['-j', '-4', 'addr', 'show'])).stdout.toString()) as Array<{ ifname: string; addr_info: Array<{ local: string }> }>;
  for (const l of links) {
    if (l.ifname === 'lo' || l.ifname.startsWith('br-') || l.ifname.startsWith('bt')) continue;
    const a = l.addr_info.find((x) => !x.local.startsWith('127.'));
    if (a) return a.local;
  }
  throw new Error('the host has no non-loopback IPv4 address');
}

/**
 * The part of the host's network state one test daemon owns: its bridges and the links enslaved
 * to them, the iptables rules naming its subnets, the netns mounts under its directory, and its
 * aardvark-dns. Other engineers' daemons on a shared host change the rest while a test runs.
 */
export async function ownNetState(dir: string, o: { bridges: readonly string[]; subnetPrefix: string }): Promise<NetState> {
  const all = await netState(dir);
  const links = (JSON.parse((await exec('ip', ['-j', 'link', 'show'])).stdout.toString() || '[]') as Array<{ ifname: string; master?: string }>)
    .filter((l) => o.bridges.includes(l.ifname) || (l.master !== undefined && o.bridges.includes(l.master))).map((l) => l.ifname).sort();
  const mounts = (await fsp.readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4] ?? '');
  const netns = mounts.filter((m) => m.startsWith(`${dir}/`) && m.endsWith('/netns')).sort();
  return { links, netns, rules: all.rules.filter((r) => r.includes(o.subnetPrefix)), aardvark: all.aardvark };
}

/**
 * Issue 12's leak check for a test daemon whose containers and networks are gone. While it
 * runs, only its default bridge (`bridges[0]`) may remain, kept for the next container with no
 * port on it (ADR 20), with its NAT rules; once it has stopped, nothing at all. Stops `d`.
 */
export async function assertNothingLeft(d: TestDaemon, o: { bridges: readonly string[]; subnetPrefix: string }): Promise<void> {
  // A test's `network rm` in t.after may have run while its containers were still there.
  const pruned = await d.request('POST', '/networks/prune');
  assert.equal(pruned.status, 200, pruned.body);
  let last: NetState | undefined;
  const running = await waitFor('aardvark-dns to exit and the veths to go', async () => {
    const s = last = await ownNetState(d.dir, o);
    return s.aardvark.length === 0 && s.links.every((l) => l === o.bridges[0]) ? s : undefined;
  }).catch((err: unknown) => { throw new Error(`${(err as Error).message}: ${JSON.stringify(last)}`); });
  assert.deepEqual({ ...running, rules: [] }, { links: running.links.length > 0 ? [o.bridges[0]] : [], netns: [], rules: [], aardvark: [] });
  const bridge = JSON.parse((await d.request('GET', '/networks/bridge')).body) as { IPAM: { Config: Array<{ Subnet: string }> } };
  const subnet = bridge.IPAM.Config[0]!.Subnet;
  assert.deepEqual(running.rules.filter((r) => !r.includes(` ${subnet} `)), [], `only the default bridge's rules (${subnet}) remain`);
  const dir = d.dir;
  await d.stop();
  assert.deepEqual(await ownNetState(dir, o), { links: [], netns: [], rules: [], aardvark: [] });
}
