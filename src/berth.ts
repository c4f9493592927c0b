/**
 * Entry point of the `berth` CLI: wires process streams and signals to runCli and exits
 * with its code. An interrupt aborts the running command (exit 130, as docker's 128+2);
 * a second one exits at once.
 */
import { runCli } from './cli/index.js';
import { SignalExit } from './cli/framework/errors.js';

const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (controller.signal.aborted) process.exit(exitFor(sig));
    controller.abort(new SignalExit(sig));
  });
}

function exitFor(sig: NodeJS.Signals): number {
  return 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[sig]!;
}

// A closed pipe on stdout (`berth images | head -1`): Go programs die of SIGPIPE there.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(141);
  throw err;
});

async function main(): Promise<number> {
  return runCli(process.argv.slice(2), {
    io: {
      // process.stdin is made on first read (a stream over fd 0 loads fs's streams): only
      // the commands that read stdin or ask whether it is a terminal pay for it (ADR 0014).
      // stderr likewise: a command that succeeds without a warning never makes it (over a
      // pipe it is a net.Socket).
      get stdin() { return process.stdin; },
      stdout: process.stdout,
      get stderr() { return process.stderr; },
      get stdinIsTerminal() { return process.stdin.isTTY === true; },
      stdoutIsTerminal: process.stdout.isTTY === true,
      columns: process.stdout.columns,
    },
    env: process.env,
    signal: controller.signal,
  });
}

// No top-level await: the build also bundles this entry as one CommonJS file (ADR 0014).
main().then((code) => {
  process.stdout.write('', () => process.exit(code));
}, (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
