import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePsOutput, topOutput, validatePsArgs } from './top.js';

const PS_EF = [
  'UID          PID    PPID  C STIME TTY          TIME CMD',
  'root           1       0  0 10:08 ?        00:00:03 /sbin/init',
  'root         100       1  0 10:09 ?        00:00:00 sleep 30',
  'root         101     100  0 10:09 pts/0    00:00:00 /bin/sh -c echo  two  spaces',
  '',
].join('\n');

test('parsePsOutput keeps the container\'s rows and merges the command into the last column', () => {
  assert.deepEqual(parsePsOutput(PS_EF, [100, 101]), {
    Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
    Processes: [
      ['root', '100', '1', '0', '10:09', '?', '00:00:00', 'sleep 30'],
      ['root', '101', '100', '0', '10:09', 'pts/0', '00:00:00', '/bin/sh -c echo two spaces'],
    ],
  });
  assert.deepEqual(parsePsOutput(PS_EF, []).Processes, []);
});

test('parsePsOutput keeps thread rows ("-" PID, ps -m) after a kept process only', () => {
  const out = ['  PID TTY          TIME CMD', '  100 ?        00:00:00 sleep', '    - -        00:00:00 -', '    1 ?        00:00:01 init', '    - -        00:00:01 -', ''].join('\n');
  assert.deepEqual(parsePsOutput(out, [100]).Processes, [['100', '?', '00:00:00', 'sleep'], ['-', '-', '00:00:00', '-']]);
});

test('parsePsOutput fails with dockerd\'s messages when the PID column is missing or unreadable', () => {
  assert.throws(() => parsePsOutput('COMMAND\nsleep\n', [1]), { status: 400, message: "Couldn't find PID field in ps output" });
  assert.throws(() => parsePsOutput('PID CMD\nabc sleep\n', [1]), {
    status: 400,
    message: 'Unexpected pid \'abc\': strconv.Atoi: parsing "abc": invalid syntax',
  });
});

test('validatePsArgs refuses renaming a column to PID, as dockerd does', () => {
  assert.throws(() => validatePsArgs('-e -o user=PID,comm'), { status: 400, message: 'specifying "user=PID,comm" is not allowed' });
  assert.throws(() => validatePsArgs('-o pid,comm -o user=PID'), { status: 400, message: 'specifying "user=PID" is not allowed' });
  assert.doesNotThrow(() => validatePsArgs('-o pid,comm -o pid=PID'));
  assert.doesNotThrow(() => validatePsArgs('-ef'));
});

test('topOutput reports ps\'s own complaint about bad ps_args', async () => {
  await assert.rejects(topOutput([process.pid], '--no-such-option'), { status: 400, message: /^ps: error: / });
  await assert.rejects(topOutput([process.pid], '-o comm'), { status: 400, message: "Couldn't find PID field in ps output" });
});

test('topOutput runs the host ps and lists only the given PIDs', async () => {
  const def = await topOutput([process.pid], '');
  assert.deepEqual(def.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.deepEqual(def.Processes.map((p) => p[1]), [String(process.pid)]);
  const custom = await topOutput([process.pid], '-o pid,comm');
  assert.deepEqual(custom, { Titles: ['PID', 'COMMAND'], Processes: [[String(process.pid), 'node']] });
});
