import { ForbiddenError, InvalidArgumentError } from '../errors/index.js';
import { randomBytes } from 'node:crypto';
import { contains6, first6, formatIpv6, formatPrefix6, last6, masked6, overlaps6, parseIpv6, parsePrefix6, type Prefix6 } from './cidr6.js';
import { contains, firstAddr, formatIpv4, formatPrefix, isIpv6Text, isMasked, lastAddr, masked, overlaps, parseIpv4, parsePrefix, type Prefix } from './cidr.js';

/**
 * berth's IPAM (ADR 12): subnets for new networks from the daemon's address pools, clear of the
 * host's routes and of every other network; addresses inside a network, with Docker's rules and
 * messages (moby api/types/network/ipam.go ValidateIPAM, libnetwork ipams/defaultipam). Pure:
 * the caller passes what is in use and persists what comes back.
 */

/** One entry of a create request's `IPAM.Config`, as Docker's API spells it. */
export interface IpamConfigIn {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** What a network keeps of one of its subnets. */
export interface SubnetPlan {
  subnet: string;
  gateway: string;
  /** Addresses for containers come from here when set (`--ip-range`). */
  ipRange?: string;
}

export interface AddressPool { base: string; size: number }

/** Docker's pools: 172.17–172.31 as /16s, then 192.168.0.0/16 cut into /20s. */
export const DOCKER_DEFAULT_POOLS: readonly AddressPool[] = [
  ...Array.from({ length: 15 }, (_, i) => ({ base: `172.${17 + i}.0.0/16`, size: 16 })),
  { base: '192.168.0.0/16', size: 20 },
];

/** ValidateIPAM: every problem of every config, joined as Docker joins them. */
export function validateIpamConfig(configs: readonly IpamConfigIn[], enableIPv6: boolean): void {
  const errs: string[] = [];
  for (const cfg of configs) {
    const subnetText = cfg.Subnet ?? '';
    if (isIpv6Text(subnetText)) {
      if (enableIPv6) errs.push(...validateConfig6(cfg));
      continue;
    }
    const subnet = parsePrefix(subnetText);
    if (!subnet) { errs.push(`invalid subnet ${subnetText}: invalid CIDR block notation`); continue; }
    if (!isMasked(subnet)) errs.push(`invalid subnet ${formatPrefix(subnet)}: it should be ${formatPrefix(masked(subnet))}`);
    if (cfg.IPRange) errs.push(...validateIpRange(cfg.IPRange, subnet));
    const gw = validateAddress(cfg.Gateway ?? '', subnet);
    if (gw) errs.push(`invalid gateway ${cfg.Gateway}: ${gw}`);
    for (const [name, aux] of Object.entries(cfg.AuxiliaryAddresses ?? {})) {
      const e = validateAddress(aux, subnet);
      if (e) errs.push(`invalid auxiliary address ${name}: ${e}`);
    }
  }
  if (errs.length > 0) throw new InvalidArgumentError(`invalid network config:\n${errs.join('\n')}`);
}

function validateConfig6(cfg: IpamConfigIn): string[] {
  const text = cfg.Subnet!;
  const subnet = parsePrefix6(text);
  if (!subnet) return [`invalid subnet ${text}: invalid CIDR block notation`];
  const errs: string[] = [];
  if (masked6(subnet).addr !== subnet.addr) errs.push(`invalid subnet ${formatPrefix6(subnet)}: it should be ${formatPrefix6(masked6(subnet))}`);
  const inside = (what: string, t: string | undefined) => {
    if (!t) return;
    if (!isIpv6Text(t)) { errs.push(`invalid ${what} ${t}: parent subnet is an IPv6 block`); return; }
    const ip = parseIpv6(t);
    if (ip === undefined) errs.push(`invalid ${what} ${t}: invalid address`);
    else if (!contains6(subnet, ip)) errs.push(`invalid ${what} ${t}: parent subnet ${formatPrefix6(subnet)} doesn't contain this address`);
  };
  if (cfg.IPRange) {
    const range = parsePrefix6(cfg.IPRange);
    if (!range) errs.push(`invalid ip-range ${cfg.IPRange}: invalid CIDR block notation`);
    else if (range.bits < subnet.bits || !overlaps6(subnet, range)) errs.push(`invalid ip-range ${cfg.IPRange}: parent subnet ${formatPrefix6(subnet)} doesn't contain ip-range`);
  }
  inside('gateway', cfg.Gateway);
  for (const [name, aux] of Object.entries(cfg.AuxiliaryAddresses ?? {})) inside(`auxiliary address ${name}`, aux);
  return errs;
}

function validateIpRange(text: string, subnet: Prefix): string[] {
  if (isIpv6Text(text)) return [`invalid ip-range ${text}: parent subnet is an IPv4 block`];
  const range = parsePrefix(text);
  if (!range) return [`invalid ip-range ${text}: invalid CIDR block notation`];
  const errs: string[] = [];
  if (range.bits < subnet.bits) errs.push(`invalid ip-range ${text}: CIDR block is bigger than its parent subnet ${formatPrefix(subnet)}`);
  if (!isMasked(range)) errs.push(`invalid ip-range ${formatPrefix(range)}: it should be ${formatPrefix(masked(range))}`);
  if (!overlaps(subnet, range)) errs.push(`invalid ip-range ${text}: parent subnet ${formatPrefix(subnet)} doesn't contain ip-range`);
  return errs;
}

function validateAddress(text: string, subnet: Prefix): string | undefined {
  if (text === '') return undefined;
  if (isIpv6Text(text)) return 'parent subnet is an IPv4 block';
  const ip = parseIpv4(text);
  if (ip === undefined) return 'invalid address';
  if (!contains(subnet, ip)) return `parent subnet ${formatPrefix(subnet)} doesn't contain this address`;
  return undefined;
}

/** The first subnet of the pools, in order, that overlaps nothing in `used`. */
export function pickSubnet(pools: readonly AddressPool[], used: readonly Prefix[]): Prefix | undefined {
  for (const pool of pools) {
    const base = parsePrefix(pool.base);
    if (!base || pool.size < base.bits || pool.size > 32) continue;
    const step = 2 ** (32 - pool.size);
    const count = 2 ** (pool.size - base.bits);
    for (let i = 0; i < count; i++) {
      const candidate: Prefix = { addr: (firstAddr(base) + i * step) >>> 0, bits: pool.size };
      if (!used.some((u) => overlaps(u, candidate))) return candidate;
    }
  }
  return undefined;
}

/**
 * The subnets of a new network: the request's (validated first, checked against `used`), or
 * one from the pools. Gateways default to the subnet's first address, as Docker's.
 */
export function planSubnets(configs: readonly IpamConfigIn[], pools: readonly AddressPool[], used: readonly Prefix[]): SubnetPlan[] {
  const v4 = configs.filter((c) => !isIpv6Text(c.Subnet ?? ''));
  if (v4.length === 0) {
    const subnet = pickSubnet(pools, used);
    if (!subnet) throw new ForbiddenError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
    return [{ subnet: formatPrefix(subnet), gateway: formatIpv4(firstAddr(subnet) + 1) }];
  }
  const taken = [...used];
  return v4.map((cfg) => {
    const subnet = parsePrefix(cfg.Subnet!)!;
    if (taken.some((u) => overlaps(u, subnet))) throw new ForbiddenError('invalid pool request: Pool overlaps with other one on this address space');
    taken.push(subnet);
    const plan: SubnetPlan = { subnet: formatPrefix(subnet), gateway: cfg.Gateway || formatIpv4(firstAddr(subnet) + 1) };
    if (cfg.IPRange) plan.ipRange = formatPrefix(parsePrefix(cfg.IPRange)!);
    return plan;
  });
}

/**
 * The IPv6 subnets of a new network with IPv6: the request's (checked against the other
 * networks' IPv6 subnets), or a /64 of a random ULA prefix (RFC 4193: fd00::/8 and 40 random
 * bits), as dockerd 27+ picks one when none is given. Gateways default to the subnet's first
 * address.
 */
export function planSubnets6(configs: readonly IpamConfigIn[], used: readonly Prefix6[], random: () => bigint = randomUla): SubnetPlan[] {
  const v6 = configs.filter((c) => isIpv6Text(c.Subnet ?? ''));
  if (v6.length === 0) {
    for (let i = 0; i < 16; i++) {
      const subnet: Prefix6 = { addr: random(), bits: 64 };
      if (!used.some((u) => overlaps6(u, subnet))) return [{ subnet: formatPrefix6(subnet), gateway: formatIpv6(first6(subnet) + 1n) }];
    }
    throw new ForbiddenError('could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network');
  }
  const taken = [...used];
  return v6.map((cfg) => {
    const subnet = parsePrefix6(cfg.Subnet!)!;
    if (taken.some((u) => overlaps6(u, subnet))) throw new ForbiddenError('invalid pool request: Pool overlaps with other one on this address space');
    taken.push(subnet);
    const plan: SubnetPlan = { subnet: formatPrefix6(subnet), gateway: cfg.Gateway ? formatIpv6(parseIpv6(cfg.Gateway)!) : formatIpv6(first6(subnet) + 1n) };
    if (cfg.IPRange) plan.ipRange = formatPrefix6(masked6(parsePrefix6(cfg.IPRange)!));
    return plan;
  });
}

function randomUla(): bigint {
  const bytes = randomBytes(5);
  return ((0xfdn << 120n) | (BigInt(`0x${bytes.toString('hex')}`) << 80n));
}

/** The IPv6 counterpart of `allocateAddress`: the requested address, or the lowest free one after the gateway. */
export function allocateAddress6(plans: readonly SubnetPlan[], taken: ReadonlySet<string>, requested?: string): { address: string; plan: SubnetPlan } {
  if (requested) {
    const ip = parseIpv6(requested);
    if (ip === undefined) throw new InvalidArgumentError(`invalid IPv6 address: ${requested}`);
    const text = formatIpv6(ip);
    for (const plan of plans) {
      if (!contains6(parsePrefix6(plan.ipRange ?? plan.subnet)!, ip) || ip === first6(parsePrefix6(plan.subnet)!)) continue;
      if (taken.has(text) || text === plan.gateway) throw new ForbiddenError('Address already in use');
      return { address: text, plan };
    }
    throw new InvalidArgumentError(`invalid endpoint settings:\nno configured subnet or ip-range contain the IP address ${requested}`);
  }
  for (const plan of plans) {
    const subnet = parsePrefix6(plan.subnet)!;
    const pool = parsePrefix6(plan.ipRange ?? plan.subnet)!;
    const from = first6(pool) > first6(subnet) ? first6(pool) : first6(subnet) + 1n;
    // Addresses are handed out from the bottom: a few thousand tries is plenty for a bridge.
    for (let ip = from, n = 0; ip <= last6(pool) && n < 65_536; ip++, n++) {
      const text = formatIpv6(ip);
      if (text !== plan.gateway && !taken.has(text)) return { address: text, plan };
    }
  }
  throw new ForbiddenError('no available IPv6 addresses on this network\'s address pools');
}

/** `bip` (`192.168.1.5/24`): the default bridge's subnet and gateway. */
export function planFromBip(bip: string): SubnetPlan {
  const p = parsePrefix(bip);
  if (!p) throw new InvalidArgumentError(`invalid bip: ${bip}`);
  const net = masked(p);
  const gateway = p.addr === net.addr ? firstAddr(net) + 1 : p.addr;
  return { subnet: formatPrefix(net), gateway: formatIpv4(gateway) };
}

/**
 * An address for a container in one of the network's subnets: `requested` when given (it
 * must lie in the ip-range, or the subnet, and be free), else the lowest free one. The network
 * and broadcast addresses and the gateway are never handed out.
 */
export function allocateAddress(plans: readonly SubnetPlan[], taken: ReadonlySet<string>, requested?: string): { address: string; plan: SubnetPlan } {
  if (requested) {
    const ip = parseIpv4(requested);
    if (ip === undefined) throw new InvalidArgumentError(`invalid IPv4 address: ${requested}`);
    for (const plan of plans) {
      const pool = parsePrefix(plan.ipRange ?? plan.subnet)!;
      const subnet = parsePrefix(plan.subnet)!;
      if (!contains(pool, ip)) continue;
      if (ip === firstAddr(subnet) || ip === lastAddr(subnet)) continue;
      if (taken.has(requested) || requested === plan.gateway) throw new ForbiddenError('Address already in use');
      return { address: requested, plan };
    }
    throw new InvalidArgumentError(`invalid endpoint settings:\nno configured subnet or ip-range contain the IP address ${requested}`);
  }
  for (const plan of plans) {
    const subnet = parsePrefix(plan.subnet)!;
    const pool = parsePrefix(plan.ipRange ?? plan.subnet)!;
    const from = Math.max(firstAddr(pool), firstAddr(subnet) + 1);
    const to = Math.min(lastAddr(pool), lastAddr(subnet) - 1);
    for (let ip = from; ip <= to; ip++) {
      const text = formatIpv4(ip);
      if (text !== plan.gateway && !taken.has(text)) return { address: text, plan };
    }
  }
  throw new ForbiddenError('no available IPv4 addresses on this network\'s address pools');
}

export function prefixLength(subnet: string): number {
  return (parsePrefix(subnet) ?? parsePrefix6(subnet))?.bits ?? 0;
}

