import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import { createApi, destroyUpgraded, listenUnix } from './api/index.js';
import { loadConfig, type Flags } from './config/index.js';
import { DaemonStartError, startDaemon } from './daemon/index.js';
import { EngineError } from './errors/index.js';
import { BERTH_VERSION } from './system/index.js';
import { createLogger, handleUnexpectedErrors } from './util/index.js';

const USAGE = `Usage:	berthd [OPTIONS]

A Docker-compatible container engine: serves the Docker Engine API.

Options:
      --certs-dir string     Directory of per-registry TLS certificates (default "/etc/berth/certs.d")
      --config-file string   Daemon configuration file (default "/etc/berth/daemon.json")
      --data-root string     Root directory of persistent berth state (default "/var/lib/berth")
  -D, --debug                Enable debug mode
      --exec-root string     Root directory for execution state files (default "/run/berth")
  -G, --group string         Group for the unix socket (default "docker", else "berth")
  -H, --host list            Daemon socket(s) to connect to (default unix:///run/berth.sock)
      --pidfile string       Path to use for daemon PID file (default "/run/berthd.pid")
      --subid-dir string     Directory holding the subuid and subgid files (default "/etc")
      --userns-remap string  User/Group setting for user namespaces
  -v, --version              Print version information and quit
  -h, --help                 Print usage
`;

const SHUTDOWN_TIMEOUT_MS = 10_000;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'certs-dir': { type: 'string' },
        'config-file': { type: 'string' },
        'data-root': { type: 'string' },
        debug: { type: 'boolean', short: 'D' },
        'exec-root': { type: 'string' },
        group: { type: 'string', short: 'G' },
        host: { type: 'string', short: 'H', multiple: true },
        pidfile: { type: 'string', short: 'p' },
        'subid-dir': { type: 'string' },
        'userns-remap': { type: 'string' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`berthd: ${(err as Error).message}\nSee 'berthd --help'.\n`);
    return 125;
  }
  if (values.help) { process.stdout.write(USAGE); return 0; }
  if (values.version) { process.stdout.write(`berthd version ${BERTH_VERSION}\n`); return 0; }
  const flags: Flags = {
    configFile: values['config-file'],
    dataRoot: values['data-root'],
    execRoot: values['exec-root'],
    hosts: values.host,
    pidfile: values.pidfile,
    debug: values.debug,
    group: values.group,
    certsDir: values['certs-dir'],
    usernsRemap: values['userns-remap'],
    subidDir: values['subid-dir'],
  };
  let config;
  try {
    config = loadConfig(flags);
  } catch (err) {
    process.stderr.write(`berthd: ${(err as Error).message}\n`);
    return 1;
  }
  const logger = createLogger({ debug: config.debug });
  handleUnexpectedErrors(logger);
  let daemon;
  const servers: Server[] = [];
  const sockets: string[] = [];
  try {
    daemon = await startDaemon(config, logger);
    const newServer = createApi(daemon.services, logger);
    for (const host of config.hosts) {
      const sock = host.slice('unix://'.length);
      const server = newServer();
      await listenUnix(server, sock, config.group, logger);
      servers.push(server);
      sockets.push(sock);
    }
    logger.info({ component: 'daemon', dataRoot: config.dataRoot, sockets }, 'berthd is ready');
  } catch (err) {
    await closeAll(servers, sockets);
    await daemon?.close();
    if (err instanceof DaemonStartError || err instanceof EngineError) {
      process.stderr.write(`berthd: ${err.message}\n`);
      return 1;
    }
    logger.error({ component: 'daemon', err }, 'failed to start');
    return 1;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ component: 'daemon', signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  // Bounded: a stream that will not end must not keep berthd from stopping (containers run on).
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => { timer = setTimeout(resolve, SHUTDOWN_TIMEOUT_MS, 'timeout'); });
  const closed = (async () => { await closeAll(servers, sockets); await daemon.close(); return 'closed' as const; })();
  if ((await Promise.race([closed, deadline])) === 'timeout') {
    logger.warn({ component: 'daemon', timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown did not finish in time; exiting anyway');
    for (const sock of sockets) await rm(sock, { force: true });
    await rm(config.pidfile, { force: true });
    return 0;
  }
  clearTimeout(timer);
  logger.info({ component: 'daemon' }, 'stopped');
  return 0;
}

/** Stops accepting, drops open connections (streams, attaches) and removes the sockets. */
async function closeAll(servers: Server[], sockets: string[]): Promise<void> {
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
    // Attach and exec streams were hijacked from the server but still hold its close.
    destroyUpgraded(server);
  })));
  for (const sock of sockets) await rm(sock, { force: true });
}

main(process.argv.slice(2)).then((code) => {
  // Hijacked connections (attach) and watchers are not the server's to close: exit explicitly.
  process.exit(code);
}, (err: unknown) => {
  process.stderr.write(`berthd: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
