/** The lazy command groups (ADR 0014): each line's names are exactly what its module defines. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aloneCommands, commandGroups, loadCommands } from './index.js';
import { nameOf } from '../framework/command.js';

const namesOf = (cmds: Awaited<ReturnType<typeof loadCommands>>): string[] => cmds.flatMap((c) => [nameOf(c), ...(c.aliases ?? [])]);

describe('command groups', () => {
  it('each group names exactly the root commands (and aliases) its module defines', async () => {
    for (const g of commandGroups) {
      assert.deepEqual([...namesOf(await g.load())].sort(), [...g.names].sort(), `group ${g.names[0]}`);
    }
  });

  it('no name belongs to two groups', () => {
    const all = commandGroups.flatMap((g) => g.names);
    assert.deepEqual(all.filter((n, i) => all.indexOf(n) !== i), []);
  });

  it('a command loads its group only; an unknown name or none loads all', async () => {
    assert.deepEqual(namesOf(await loadCommands('run')).sort(), [...commandGroups[0]!.names].sort());
    const every = commandGroups.flatMap((g) => g.names).sort();
    assert.deepEqual(namesOf(await loadCommands('nosuch')).sort(), every);
    assert.deepEqual(namesOf(await loadCommands()).sort(), every);
  });

  it('a command that loads alone is the very command its group defines, under a name only that group claims', async () => {
    for (const [name, load] of aloneCommands) {
      const claiming = commandGroups.filter((g) => g.names.includes(name));
      assert.equal(claiming.length, 1, name);
      const fromGroup = (await claiming[0]!.load()).find((c) => nameOf(c) === name);
      assert.ok(fromGroup, name);
      assert.equal(await load(), fromGroup, `${name}: the same object`);
      assert.deepEqual(await loadCommands(name), [fromGroup]);
    }
  });
});
