import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDockerfile, splitWords } from './parser.js';
import { expandWord } from './expand.js';

test('comments, continuations (with comments and blank lines inside), exec and shell forms', () => {
  const df = parseDockerfile([
    '# a comment',
    'FROM busybox AS base',
    '',
    'RUN echo a \\',
    '  # dropped',
    '',
    '  && echo b',
    'CMD ["sh", "-c", "echo hi"]',
    'ENTRYPOINT [not json',
    'COPY --chown=1:2 a b /dst/',
    'ENV A=1 B="two words"',
    'ENV C legacy value',
  ].join('\n'));
  const got = df.instructions.map((i) => [i.cmd, i.line, i.args, i.isJson, i.flags]);
  assert.deepEqual(got, [
    ['from', 2, ['busybox', 'base'], false, {}],
    ['run', 4, ['echo a   && echo b'], false, {}],
    ['cmd', 8, ['sh', '-c', 'echo hi'], true, {}],
    ['entrypoint', 9, ['[not json'], false, {}],
    ['copy', 10, ['a', 'b', '/dst/'], false, { chown: '1:2' }],
    ['env', 11, ['A', '1', 'B', '"two words"'], false, {}],
    ['env', 12, ['C', 'legacy value'], false, {}],
  ]);
});

test('the escape directive changes the continuation character; syntax is accepted', () => {
  const df = parseDockerfile('# syntax=docker/dockerfile:1\n# escape=`\nFROM x\nRUN dir c:\\ `\n  /w\n');
  assert.equal(df.escape, '`');
  assert.deepEqual(df.instructions[1]!.args, ['dir c:\\   /w']);
  assert.throws(() => parseDockerfile('# escape=x\nFROM a'), { message: "dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\" });
  // A directive after an instruction is just a comment.
  assert.equal(parseDockerfile('FROM a\n# escape=`\nRUN a \\\n b').instructions[1]!.args[0], 'a  b');
});

test('bad input gives Docker\'s messages with the line number', () => {
  const cases: Array<[string, string]> = [
    ['FROM a\n\nRUNN x', 'dockerfile parse error on line 3: unknown instruction: RUNN'],
    ['FROM a\nfoo bar', 'dockerfile parse error on line 2: unknown instruction: FOO'],
    ['FROM', 'dockerfile parse error on line 1: FROM requires either one or three arguments'],
    ['FROM a b', 'dockerfile parse error on line 1: FROM requires either one or three arguments'],
    ['FROM a\nCOPY x', 'dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined.'],
    ['FROM a\nCOPY --bogus=1 x y', 'dockerfile parse error on line 2: Unknown flag: bogus'],
    ['FROM a\nSHELL sh -c', 'dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form'],
    ['FROM a\nENV =x', 'dockerfile parse error on line 2: ENV names can not be blank'],
    ['FROM a\nRUN', 'dockerfile parse error on line 2: RUN requires at least one argument'],
    ['FROM a\nONBUILD ONBUILD RUN x', 'dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed'],
    ['# only a comment\n', 'the Dockerfile (Dockerfile) cannot be empty'],
  ];
  for (const [text, message] of cases) assert.throws(() => parseDockerfile(text), { message }, text);
});

test('HEALTHCHECK and ONBUILD', () => {
  const [, h, n, o] = parseDockerfile('FROM a\nHEALTHCHECK --interval=5s CMD curl -f x\nHEALTHCHECK NONE\nONBUILD RUN echo hi').instructions;
  assert.deepEqual([h!.args, h!.flags], [['CMD-SHELL', 'curl -f x'], { interval: '5s' }]);
  assert.deepEqual(n!.args, ['NONE']);
  assert.deepEqual(o!.args, ['RUN echo hi']);
});

test('expansion as Docker\'s shell lexer: $V, ${V}, ${V:-x}, ${V:+x}, quotes, escapes', () => {
  const env = new Map([['A', 'a'], ['E', ''], ['P', '/usr/bin']]);
  const cases: Array<[string, string]> = [
    ['$A', 'a'], ['${A}b', 'ab'], ['$Ab', ''], ['x$A/y', 'xa/y'],
    ['${U:-def}', 'def'], ['${E:-def}', 'def'], ['${E-def}', ''], ['${A:-def}', 'a'],
    ['${A:+alt}', 'alt'], ['${U:+alt}', ''], ['${E:+alt}', ''], ['${E+alt}', 'alt'],
    ['${U:-$A/x}', 'a/x'], ['\'$A\'', '$A'], ['"$A b"', 'a b'], ['\\$A', '$A'], ['"\\$A"', '$A'],
    ['$P:/x', '/usr/bin:/x'], ['$', '$'], ['a\\ b', 'a b'],
  ];
  for (const [word, want] of cases) assert.equal(expandWord(word, env), want, word);
  assert.equal(expandWord('`$A', env, '`'), '$A');
  assert.deepEqual(splitWords('a "b c" d\\ e  ', '\\'), ['a', '"b c"', 'd\\ e']);
});

test('heredocs for RUN and COPY: documents in marker order, <<- strips tabs, quoting kept, here-strings left alone', () => {
  const df = parseDockerfile('FROM a\nRUN <<EOF\necho one\n  echo two\nEOF\nCOPY <<-"A" <<B /d/\n\tx $V\nA\ny\nB\nRUN cat <<<word\nCMD x');
  const [, run, copy, here, cmd] = df.instructions;
  assert.deepEqual(run!.heredocs, [{ name: 'EOF', content: 'echo one\n  echo two\n', isQuoted: false }]);
  assert.equal(run!.line, 2);
  assert.deepEqual(copy!.args, ['<<-"A"', '<<B', '/d/']);
  assert.deepEqual(copy!.heredocs, [{ name: 'A', content: 'x $V\n', isQuoted: true }, { name: 'B', content: 'y\n', isQuoted: false }]);
  assert.equal(here!.heredocs, undefined);
  assert.equal(cmd!.cmd, 'cmd');
  assert.throws(() => parseDockerfile('FROM a\nRUN <<EOF\necho'), { message: 'dockerfile parse error on line 2: unterminated heredoc EOF' });
});
