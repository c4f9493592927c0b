import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, parseFlags, type FlagSpec } from './flags.js';

const specs: FlagSpec[] = [
  { name: 'all', short: 'a', type: 'bool', usage: '' },
  { name: 'quiet', short: 'q', type: 'bool', usage: '' },
  { name: 'filter', short: 'f', type: 'filter', usage: '' },
  { name: 'format', type: 'string', usage: '' },
  { name: 'change', short: 'c', type: 'list', usage: '' },
  { name: 'human', short: 'H', type: 'bool', usage: '', default: true },
];

describe('flag parsing (pflag semantics)', () => {
  it('reads long, short, combined and attached forms, interspersed with arguments', () => {
    const r = parseFlags(specs, ['x', '-aq', '--format={{.ID}}', 'y', '-fdangling=true', '--filter', 'label=a', '-c', 'ENV A=b', '--change=CMD x', '-H=false'], true);
    assert.deepEqual(r.args, ['x', 'y']);
    assert.equal(r.flags.bool('all'), true);
    assert.equal(r.flags.bool('quiet'), true);
    assert.equal(r.flags.string('format'), '{{.ID}}');
    assert.equal(r.flags.filters('filter').toQuery(), '{"dangling":["true"],"label":["a"]}');
    assert.deepEqual(r.flags.list('change'), ['ENV A=b', 'CMD x']);
    assert.equal(r.flags.bool('human'), false);
  });

  it('stops at the first argument when not interspersed, and at --', () => {
    assert.deepEqual(parseFlags(specs, ['images', '-a'], false).args, ['images', '-a']);
    assert.deepEqual(parseFlags(specs, ['-a', '--', '-q'], true).args, ['-q']);
  });

  it("fails with pflag's messages", () => {
    const fails: Array<[string[], string]> = [
      [['--bogus'], 'unknown flag: --bogus'],
      [['-ax'], "unknown shorthand flag: 'x' in -x"],
      [['-f'], "flag needs an argument: 'f' in -f"],
      [['--format'], 'flag needs an argument: --format'],
      [['--all=maybe'], 'invalid argument "maybe" for "-a, --all" flag: strconv.ParseBool: parsing "maybe": invalid syntax'],
      [['-f', 'foo'], 'invalid argument "foo" for "-f, --filter" flag: bad format of filter (expected name=value)'],
    ];
    for (const [argv, msg] of fails) assert.throws(() => parseFlags(specs, argv, true), (e: unknown) => e instanceof FlagError && e.message === msg, argv.join(' '));
  });

  it('accepts -h with the deprecation notice docker prints', () => {
    const r = parseFlags(specs, ['-h'], true);
    assert.equal(r.help, true);
    assert.deepEqual(r.notices, ['Flag shorthand -h has been deprecated, use --help']);
  });
});
