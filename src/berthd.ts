import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { TlsOptions } from 'node:tls';
import { parseArgs } from 'node:util';
import { createApi, destroyUpgraded, listenFd, listenTcp, listenUnix, serverTlsOptions } from './api/index.js';
import { activatedFds, fdsFor, formatDaemonHost, loadConfig, takeBoolFlags, type Config, type Flags } from './config/index.js';
import { DaemonStartError, startDaemon } from './daemon/index.js';
import { EngineError } from './errors/index.js';
import { posixSpawner, setCloseOnExec } from './sys/index.js';
import { BERTH_VERSION } from './system/index.js';
import { createLogger, handleUnexpectedErrors, setSpawner } from './util/index.js';

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
      --tls                  Use TLS; implied by --tlsverify
      --tlscacert string     Trust certs signed only by this CA (default "/etc/berth/ca.pem")
      --tlscert string       Path to TLS certificate file (default "/etc/berth/cert.pem")
      --tlskey string        Path to TLS key file (default "/etc/berth/key.pem")
      --tlsverify            Use TLS and verify the remote
      --userns-remap string  User/Group setting for user namespaces
  -v, --version              Print version information and quit
  -h, --help                 Print usage
`;

const SHUTDOWN_TIMEOUT_MS = 10_000;

async function main(argv: string[]): Promise<number> {
  // Processes start without copying berthd's memory (ADR 0023); BERTH_SPAWN=node keeps Node's fork.
  if (process.env.BERTH_SPAWN !== 'node') setSpawner(posixSpawner);
  let values;
  let bools;
  try {
    // --tls=false must stay apart from no --tls (consent to plain TCP, as in dockerd).
    const taken = takeBoolFlags(argv, ['tls', 'tlsverify']);
    bools = taken.values;
    ({ values } = parseArgs({
      args: taken.rest,
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
        tlscacert: { type: 'string' },
        tlscert: { type: 'string' },
        tlskey: { type: 'string' },
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
    tls: bools.tls,
    tlsVerify: bools.tlsverify,
    tlsCaCert: values.tlscacert,
    tlsCert: values.tlscert,
    tlsKey: values.tlskey,
  };
  // systemd's socket activation is for this process only (go-systemd unsets it as well).
  const activated = activatedFds(process.env, process.pid);
  delete process.env.LISTEN_PID;
  delete process.env.LISTEN_FDS;
  delete process.env.LISTEN_FDNAMES;
  let config;
  try {
    config = loadConfig(flags, process.env);
  } catch (err) {
    process.stderr.write(`berthd: ${(err as Error).message}\n`);
    return 1;
  }
  // As dockerd (newAPIServerTLSConfig, loadListeners): TLS files and activated sockets are
  // checked before the daemon starts, so a bad -H leaves nothing behind.
  let tls;
  try {
    tls = config.tls ? serverTlsOptions(config.tls) : undefined;
    for (const l of config.listens) if (l.proto === 'fd') fdsFor(l, activated);
    // Every passed socket, served or not (fd://N serves one), stays out of berthd's children.
    for (const fd of activated) setCloseOnExec(fd);
  } catch (err) {
    process.stderr.write(`berthd: failed to load listeners: ${(err as Error).message}\n`);
    return 1;
  }
  const logger = createLogger({ debug: config.debug });
  handleUnexpectedErrors(logger);
  let daemon;
  const servers: Server[] = [];
  const sockets: string[] = [];
  try {
    daemon = await startDaemon(config, logger);
    await listenAll(config, tls, activated, createApi(daemon.services, logger), servers, sockets, logger);
    logger.info({ component: 'daemon', dataRoot: config.dataRoot, hosts: config.hosts }, 'berthd is ready');
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

/**
 * One server per host: UNIX sockets plain, tcp:// and fd:// with TLS when configured (as
 * dockerd's listeners.Init). A tcp:// host without client verification got this far only on
 * --tls=false or --tlsverify=false; it still gets dockerd's warnings.
 */
async function listenAll(config: Config, tls: TlsOptions | undefined, activated: number[], newServer: ReturnType<typeof createApi>, servers: Server[], sockets: string[], logger: ReturnType<typeof createLogger>): Promise<void> {
  for (const l of config.listens) {
    const host = formatDaemonHost(l);
    if (l.proto === 'unix') {
      const server = newServer();
      servers.push(server);
      await listenUnix(server, l.path, config.group, logger);
      sockets.push(l.path);
      logger.info({ component: 'api', host }, `API listen on ${l.path}`);
    } else if (l.proto === 'tcp') {
      if (!config.tls?.verifyClient) {
        logger.warn({ component: 'api', host }, 'Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network.');
        logger.warn({ component: 'api', host }, 'Binding to an IP address, even on localhost, can also give access to scripts run in a browser. Be safe out there!');
      }
      const server = newServer(tls);
      servers.push(server);
      const port = await listenTcp(server, l.hostname, l.port);
      logger.info({ component: 'api', host, tls: config.tls !== undefined }, `API listen on ${l.hostname}:${port}`);
    } else {
      for (const fd of fdsFor(l, activated)) {
        const server = newServer(tls);
        servers.push(server);
        await listenFd(server, fd);
        logger.info({ component: 'api', host, fd, tls: config.tls !== undefined }, `API listen on fd ${fd}`);
      }
    }
  }
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
