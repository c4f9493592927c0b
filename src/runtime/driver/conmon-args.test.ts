import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../errors/index.js';
import { conmonArgs, type ConmonArgsInput } from './conmon-args.js';
import { classifyRuntimeFailure, lastJsonError, OciRuntimeError } from './runtime-error.js';

const base: ConmonArgsInput = {
  id: 'c1', cuuid: 'c1',
  runtime: { name: 'runc', path: '/usr/sbin/runc', runtimeArgs: ['--debug'], root: '/run/berth/runc' },
  bundleDir: '/b', containerPidFile: '/b/pidfile', conmonPidFile: '/b/conmon.pid', runtimeLogPath: '/b/runtime.log',
  logPath: '/b/ctr.log', exitDir: '/run/berth/exits', hasTty: false, hasStdin: false, leaveStdinOpen: false,
};

/** The values following each occurrence of `flag`. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));
}

test('a container: berth root, JSON runtime log, exit dir, k8s-file log, attach in the bundle', () => {
  const args = conmonArgs({ ...base, logSizeMax: 1000, persistDir: '/p' });
  assert.deepEqual(values(args, '--runtime-arg'), ['--debug', '--root=/run/berth/runc', '--log-format=json', '--log=/b/runtime.log']);
  assert.deepEqual(values(args, '--log-path'), ['k8s-file:/b/ctr.log']);
  assert.deepEqual(values(args, '--exit-dir'), ['/run/berth/exits']);
  assert.deepEqual(values(args, '--persist-dir'), ['/p']);
  assert.deepEqual(values(args, '--log-size-max'), ['1000']);
  assert.ok(args.includes('--full-attach') && args.includes('--api-version'));
  for (const absent of ['--terminal', '--stdin', '--leave-stdin-open', '--exec', '--syslog']) assert.ok(!args.includes(absent), absent);
});

test('stdin flags follow Docker: -i only with stdin, --leave-stdin-open only with it', () => {
  assert.deepEqual(conmonArgs({ ...base, hasStdin: true, leaveStdinOpen: true }).filter((a) => a.includes('stdin')), ['--stdin', '--leave-stdin-open']);
  assert.deepEqual(conmonArgs({ ...base, hasStdin: true }).filter((a) => a.includes('stdin')), ['--stdin']);
  assert.deepEqual(conmonArgs({ ...base, leaveStdinOpen: true }).filter((a) => a.includes('stdin')), []);
  assert.ok(conmonArgs({ ...base, hasTty: true }).includes('--terminal'));
});

test('an exec: its own cuuid, no log, the process spec, attach handshake when asked', () => {
  const args = conmonArgs({ ...base, cuuid: 'e1', logPath: undefined, exitDir: undefined, exec: { processSpecPath: '/e/process.json', hasAttach: true } });
  assert.deepEqual(values(args, '--cuuid'), ['e1']);
  assert.deepEqual(values(args, '--cid'), ['c1']);
  assert.deepEqual(values(args, '--log-path'), ['none']);
  assert.deepEqual(values(args, '--exec-process-spec'), ['/e/process.json']);
  assert.ok(args.includes('--exec') && args.includes('--exec-attach') && !args.includes('--exit-dir'));
});

test('a log path with a colon is refused (conmon would cut it there)', () => {
  assert.throws(() => conmonArgs({ ...base, logPath: '/a:b/ctr.log' }), InvalidArgumentError);
});

test('lastJsonError takes the last error of a runtime JSON log', () => {
  const log = '{"level":"warning","msg":"w"}\n{"level":"error","msg":"first"}\n{"level":"error","msg":"runc create failed: x"}\n{"level":"err';
  assert.equal(lastJsonError(log), 'runc create failed: x');
  assert.equal(lastJsonError('plain text'), undefined);
});

test('runtime failures are classified by the runtime wording, message kept verbatim', () => {
  assert.equal(classifyRuntimeFailure('runc', 'container does not exist').status, 404);
  for (const m of ['container not running', 'container not paused', 'cannot start a container that has stopped', 'cannot start a container in the paused state']) {
    assert.equal(classifyRuntimeFailure('runc', m).status, 409, m);
  }
  const other = classifyRuntimeFailure('runc', 'permission denied');
  assert.ok(other instanceof OciRuntimeError);
  assert.equal(other.message, 'permission denied');
  assert.equal(other.status, 500);
});
