#!/usr/bin/env node
// ADR 12's measurement: the time to set up and tear down one container network namespace on a
// bridge, with one published port and DNS, through netavark + aardvark-dns and through the CNI
// reference plugins (bridge + host-local, portmap, firewall). Each round makes a fresh netns
// (`ip netns add`), runs the stack's setup and teardown, and removes the netns; the two stacks
// alternate round by round. Every bridge, chain and namespace it makes is removed at the end.
// Run as root: node bench/network-stacks.mjs [--rounds N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' } } });
const ROUNDS = Number(values.rounds);
const NETAVARK = '/usr/lib/podman/netavark';
const AARDVARK = '/usr/lib/podman/aardvark-dns';
const CNI = '/usr/lib/cni';
const work = mkdtempSync(join(tmpdir(), 'berth-netbench-'));
const id = 'b'.repeat(64);
const ctr = 'c'.repeat(64);

function run(file, args, opts = {}) {
  const r = spawnSync(file, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0 && !opts.allowFailure) throw new Error(`${file} ${args.join(' ')}: ${r.status} ${r.stderr} ${r.stdout}`);
  return r;
}
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const nvConfig = join(work, 'netavark');
mkdirSync(nvConfig);
const nvOpts = JSON.stringify({
  container_id: ctr, container_name: 'bench',
  port_mappings: [{ host_ip: '', container_port: 80, host_port: 38080, range: 1, protocol: 'tcp' }],
  networks: { bnb: { static_ips: ['10.231.9.2'], aliases: ['bench'], interface_name: 'eth0' } },
  network_info: { bnb: { name: 'bnb', id, driver: 'bridge', network_interface: 'bnbnv0', subnets: [{ subnet: '10.231.9.0/24', gateway: '10.231.9.1' }], ipv6_enabled: false, internal: false, dns_enabled: true, ipam_options: { driver: 'host-local' } } },
});
// The default bridge has no DNS server (as Docker's): the same network without aardvark-dns.
const nvOptsNoDns = nvOpts.replace('"dns_enabled":true', '"dns_enabled":false').replaceAll('bnb', 'bnn').replace('10.231.9.', '10.231.11.').replace('10.231.9.', '10.231.11.').replace('10.231.9.', '10.231.11.').replace('38080', '38082');
function netavarkWith(opts) {
  return (cmd, ns) => run(NETAVARK, ['--config', nvConfig, '--aardvark-binary', AARDVARK, cmd, `/run/netns/${ns}`], { input: opts, env: { PATH: process.env.PATH, NETAVARK_FW: 'iptables' } });
}
const netavark = netavarkWith(nvOpts);
const netavarkNoDns = netavarkWith(nvOptsNoDns);

// The CNI chain a conflist would run: each plugin gets the previous one's result.
const cniNet = { cniVersion: '1.0.0', name: 'bnbcni' };
const plugins = [
  { type: 'bridge', bridge: 'bnbcni0', isGateway: true, ipMasq: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.231.10.0/24' }]], dataDir: join(work, 'ipam') } },
  { type: 'portmap', capabilities: { portMappings: true }, runtimeConfig: { portMappings: [{ hostPort: 38081, containerPort: 80, protocol: 'tcp' }] } },
  { type: 'firewall' },
];
let added;
function cni(cmd, ns) {
  // DEL gets ADD's final result as prevResult too (CNI 1.0): the firewall plugin needs the addresses.
  let prev = cmd === 'DEL' ? added : undefined;
  const order = cmd === 'ADD' ? plugins : [...plugins].reverse();
  for (const p of order) {
    const conf = { ...cniNet, ...p, ...(prev ? { prevResult: prev } : {}) };
    const r = run(join(CNI, p.type), [], {
      input: JSON.stringify(conf),
      env: { PATH: process.env.PATH, CNI_COMMAND: cmd, CNI_CONTAINERID: ctr, CNI_NETNS: `/run/netns/${ns}`, CNI_IFNAME: 'eth0', CNI_PATH: CNI },
    });
    if (cmd === 'ADD') prev = JSON.parse(r.stdout);
  }
  if (cmd === 'ADD') added = prev;
}

/** Deletes the jumps to chains matching `re` and then the chains themselves, in filter and nat. */
function removeChains(re) {
  for (const table of ['filter', 'nat']) {
    const lines = run('iptables-save', ['-t', table]).stdout.split('\n');
    const chains = lines.filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]).filter((c) => re.test(c));
    for (const l of lines) {
      const m = /^-A (\S+) (.*)$/.exec(l);
      if (m && !re.test(m[1]) && chains.some((c) => l.endsWith(`-j ${c}`))) {
        // iptables-save prints the comment quoted; split it back into argv.
        const args = m[2].match(/"[^"]*"|\S+/g).map((a) => a.replace(/^"|"$/g, ''));
        run('iptables', ['-t', table, '-D', m[1], ...args], { allowFailure: true });
      }
    }
    for (const c of chains) run('iptables', ['-t', table, '-F', c], { allowFailure: true });
    for (const c of chains) run('iptables', ['-t', table, '-X', c], { allowFailure: true });
  }
}

const results = { netavark: { setup: [], teardown: [] }, 'netavark-nodns': { setup: [], teardown: [] }, cni: { setup: [], teardown: [] } };
const stacks = { netavark, 'netavark-nodns': netavarkNoDns, cni };
try {
  for (let round = 0; round <= ROUNDS; round++) {
    const names = Object.keys(stacks);
    const order = [...names.slice(round % names.length), ...names.slice(0, round % names.length)];
    for (const name of order) {
      const ns = `berth-nb-${process.pid}-${name}`;
      run('ip', ['netns', 'add', ns]);
      try {
        let t0 = process.hrtime.bigint();
        stacks[name](name === 'cni' ? 'ADD' : 'setup', ns);
        const setup = ms(t0);
        t0 = process.hrtime.bigint();
        stacks[name](name === 'cni' ? 'DEL' : 'teardown', ns);
        const teardown = ms(t0);
        if (round > 0) { results[name].setup.push(setup); results[name].teardown.push(teardown); }
      } finally {
        run('ip', ['netns', 'del', ns], { allowFailure: true });
      }
    }
  }
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name}: setup median ${median(r.setup).toFixed(1)} ms (min ${Math.min(...r.setup).toFixed(1)}, max ${Math.max(...r.setup).toFixed(1)}); teardown median ${median(r.teardown).toFixed(1)} ms (min ${Math.min(...r.teardown).toFixed(1)}, max ${Math.max(...r.teardown).toFixed(1)}); n=${r.setup.length}`);
  }
} finally {
  // The bridges the CNI plugin leaves (it never deletes its bridge) and the bench's work dir.
  run('ip', ['link', 'del', 'bnbcni0'], { allowFailure: true });
  run('ip', ['link', 'del', 'bnbnv0'], { allowFailure: true });
  run('ip', ['link', 'del', 'bnnnv0'], { allowFailure: true });
  // Top-level chains both stacks leave behind by design (shared by every user of the stack).
  removeChains(/^(CNI-|NETAVARK)/);
  rmSync(work, { recursive: true, force: true });
}
