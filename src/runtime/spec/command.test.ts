// What `docker run` executes for each combination of image ENTRYPOINT/CMD and run arguments
// (Docker's "Understand how CMD and ENTRYPOINT interact" table, plus --entrypoint).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../errors/index.js';
import { resolveCommand, type CommandConfig } from './command.js';

interface Case { title: string; image: CommandConfig | null; request: CommandConfig; argv: string[]; entrypoint: string[] | null; cmd: string[] | null }

const cases: Case[] = [
  { title: 'image CMD only', image: { Cmd: ['sh'] }, request: {}, argv: ['sh'], entrypoint: null, cmd: ['sh'] },
  { title: 'image ENTRYPOINT + CMD', image: { Entrypoint: ['/entry.sh'], Cmd: ['serve'] }, request: {}, argv: ['/entry.sh', 'serve'], entrypoint: ['/entry.sh'], cmd: ['serve'] },
  { title: 'run args replace CMD, keep ENTRYPOINT', image: { Entrypoint: ['/entry.sh'], Cmd: ['serve'] }, request: { Cmd: ['migrate', '--all'] }, argv: ['/entry.sh', 'migrate', '--all'], entrypoint: ['/entry.sh'], cmd: ['migrate', '--all'] },
  { title: 'run args replace CMD of a CMD-only image', image: { Cmd: ['sh'] }, request: { Cmd: ['echo', 'hi'] }, argv: ['echo', 'hi'], entrypoint: null, cmd: ['echo', 'hi'] },
  { title: 'shell-form CMD arrives expanded', image: { Cmd: ['/bin/sh', '-c', 'echo $HOME'] }, request: {}, argv: ['/bin/sh', '-c', 'echo $HOME'], entrypoint: null, cmd: ['/bin/sh', '-c', 'echo $HOME'] },
  { title: '--entrypoint drops the image CMD', image: { Entrypoint: ['/entry.sh'], Cmd: ['serve'] }, request: { Entrypoint: ['/bin/true'] }, argv: ['/bin/true'], entrypoint: ['/bin/true'], cmd: null },
  { title: '--entrypoint with run args', image: { Cmd: ['serve'] }, request: { Entrypoint: ['ls'], Cmd: ['-l', '/'] }, argv: ['ls', '-l', '/'], entrypoint: ['ls'], cmd: ['-l', '/'] },
  { title: '--entrypoint "" clears the image ENTRYPOINT and its CMD', image: { Entrypoint: ['/entry.sh'], Cmd: ['serve'] }, request: { Entrypoint: [''], Cmd: ['sh'] }, argv: ['sh'], entrypoint: null, cmd: ['sh'] },
  { title: 'Entrypoint [] keeps the image CMD but not its ENTRYPOINT', image: { Entrypoint: ['/entry.sh'], Cmd: ['serve'] }, request: { Entrypoint: [] }, argv: ['serve'], entrypoint: [], cmd: ['serve'] },
  { title: 'Entrypoint null inherits', image: { Entrypoint: ['/entry.sh'] }, request: { Entrypoint: null, Cmd: ['x'] }, argv: ['/entry.sh', 'x'], entrypoint: ['/entry.sh'], cmd: ['x'] },
  { title: 'no image config', image: null, request: { Cmd: ['/hello'] }, argv: ['/hello'], entrypoint: null, cmd: ['/hello'] },
];

for (const c of cases) {
  test(`resolveCommand: ${c.title}`, () => {
    const got = resolveCommand(c.image, c.request);
    assert.deepEqual([got.path, ...got.args], c.argv);
    assert.deepEqual(got.entrypoint, c.entrypoint);
    assert.deepEqual(got.cmd, c.cmd);
  });
}

test('nothing to run is refused with Docker 28\'s message (400)', () => {
  const empty: Array<[CommandConfig | null, CommandConfig]> = [
    [null, {}],
    [{ Cmd: [] }, { Cmd: [] }],
    [{ Entrypoint: ['/entry.sh'], Cmd: ['serve'] }, { Entrypoint: [''] }],
  ];
  for (const [image, request] of empty) {
    assert.throws(() => resolveCommand(image, request), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.equal(err.message, 'no command specified');
      return true;
    });
  }
});
