import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { InvalidArgumentError } from '../errors/index.js';
import { exec } from '../util/index.js';
import type { NetworkRecord } from './types.js';

export const OPT_ICC = 'com.docker.network.bridge.enable_icc';
export const OPT_MASQUERADE = 'com.docker.network.bridge.enable_ip_masquerade';
const COMMENT = 'berth: enable_ip_masquerade=false';

/** Go's strconv.ParseBool, with the error dockerd's bridge driver wraps it in (400). */
export function parseBoolOption(key: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new InvalidArgumentError(`failed to parse ${key} value: ${value} (strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax)`);
}

/** netavark 1.4's NAT chain of a network: `NETAVARK-` and the first 13 hex digits (upper case) of SHA-512 of its name. */
export function natChainOf(netavarkName: string): string {
  return `NETAVARK-${createHash('sha512').update(netavarkName).digest('hex').slice(0, 13).toUpperCase()}`;
}

/** The `-t nat` rule that keeps a network's traffic from netavark's MASQUERADE rule in the same chain. */
export function noMasqueradeRule(rec: Pick<NetworkRecord, 'id'>): string[] {
  return [natChainOf(rec.id), '-m', 'comment', '--comment', COMMENT, '-j', 'RETURN'];
}

/**
 * What a bridge network's options ask for beyond netavark 1.4's keys (ADR 20), applied after
 * each setup on it (both are idempotent and cheap when already in place):
 * - `enable_icc=false`: every port of the bridge is isolated (the kernel's bridge port
 *   isolation: isolated ports do not forward to each other, only to the bridge itself, so the
 *   containers reach the gateway and the outside, not each other; dockerd drops br→br traffic
 *   in FORWARD to the same effect);
 * - `enable_ip_masquerade=false`: a RETURN rule first in netavark's NAT chain of the network, so
 *   its MASQUERADE rule is never reached. The chain is netavark's: its removal takes the rule.
 */
export async function applyBridgeOptions(rec: NetworkRecord): Promise<void> {
  const bridge = rec.bridge;
  if (!bridge) return;
  await pinBridgeAddress(bridge);
  if (rec.options[OPT_ICC] !== undefined && !parseBoolOption(OPT_ICC, rec.options[OPT_ICC])) {
    const dir = `/sys/class/net/${bridge}/brif`;
    for (const port of await fsp.readdir(dir)) {
      const file = `${dir}/${port}/isolated`;
      if ((await fsp.readFile(file, 'utf8').catch(() => '1')).trim() === '0') await fsp.writeFile(file, '1').catch(() => undefined);
    }
  }
  if (!rec.internal && rec.options[OPT_MASQUERADE] !== undefined && !parseBoolOption(OPT_MASQUERADE, rec.options[OPT_MASQUERADE])) {
    const rule = noMasqueradeRule(rec);
    const has = await exec('iptables', ['-t', 'nat', '-C', ...rule, '--wait'], { allowFailure: true, timeoutMs: 30_000 });
    if (has.code !== 0) await exec('iptables', ['-t', 'nat', '-I', rule[0]!, '1', ...rule.slice(1), '--wait'], { timeoutMs: 30_000 });
  }
}

/**
 * A Linux bridge whose MAC address was never set takes the lowest MAC of its ports, so it
 * changes as containers come and go; containers that still hold the old one in their neighbour
 * cache then lose their gateway (and aardvark-dns on it) for as long as the entry lives (seen:
 * after three of four containers on a network were removed, the last one timed out on every
 * name). netavark 1.4 does not set it; dockerd sets one when it makes a bridge. berth sets the
 * bridge's current address once, after the first setup on it (`addr_assign_type` 3,
 * NET_ADDR_SET, from then on): the address stays, and no cache holds a wrong one.
 */
export async function pinBridgeAddress(bridge: string): Promise<void> {
  const dir = `/sys/class/net/${bridge}`;
  const type = await fsp.readFile(`${dir}/addr_assign_type`, 'utf8').catch(() => '3');
  if (type.trim() === '3') return;
  const address = (await fsp.readFile(`${dir}/address`, 'utf8')).trim();
  await exec('ip', ['link', 'set', 'dev', bridge, 'address', address], { timeoutMs: 10_000 });
}
