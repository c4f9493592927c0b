import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseDotenv, readEnvFile } from './dotenv.js';
import { ComposeConfigError } from './errors.js';

const none = (): undefined => undefined;

describe('.env files, as compose-go\'s dotenv', () => {
  it('reads KEY=value lines, export, comments and blanks', () => {
    const text = '# comment\n\nA=1\nexport B=two words\nC=x # inline comment\nD=x#not a comment\nE=\n  F = spaced  \n';
    assert.deepEqual(parseDotenv(text, none, '.env'), { A: '1', B: 'two words', C: 'x', D: 'x#not a comment', E: '', F: 'spaced' });
  });

  it('single quotes keep the value as written; double quotes read escapes and may span lines', () => {
    const text = "S='a $B \\n # c'\nD=\"line1\\nline2 \\\"q\\\" # kept\"\nM=\"first\nsecond\"\nAFTER=ok\n";
    assert.deepEqual(parseDotenv(text, () => 'env', '.env'), { S: 'a $B \\n # c', D: 'line1\nline2 "q" # kept', M: 'first\nsecond', AFTER: 'ok' });
  });

  it('expands ${VAR} from lines above, then the lookup; a bare name takes the lookup\'s value', () => {
    const lookup = (n: string): string | undefined => ({ FROM_ENV: 'e', HOMEY: '/h' } as Record<string, string>)[n];
    const text = 'A=1\nB=${A}-$FROM_ENV\nC="${MISSING:-dflt}"\nHOMEY\nNOTSET\n';
    assert.deepEqual(parseDotenv(text, lookup, '.env'), { A: '1', B: '1-e', C: 'dflt', HOMEY: '/h' });
  });

  it('reads compose-go\'s edge cases: KEY: value, escaped quotes, \\$, " #" only as a comment, digits first', () => {
    const text = "Y: yaml style\nS='it\\'s'\nD=\"cost \\$5 \\\\ \\t.\"\nT=a\t#b\n1X=digit\nM='line1\nline2'\nN=after\n";
    assert.deepEqual(parseDotenv(text, none, '.env'), { Y: 'yaml style', S: "it's", D: 'cost $5 \\ \t.', T: 'a\t#b', '1X': 'digit', M: 'line1\nline2', N: 'after' });
  });

  it('handles CRLF line ends', () => {
    assert.deepEqual(parseDotenv('A=1\r\nB=2\r\n', none, '.env'), { A: '1', B: '2' });
  });

  it('refuses a bad variable name and an unterminated quote, naming the file and line', () => {
    assert.throws(() => parseDotenv('A=1\nB@D=2\n', none, '/p/.env'), { message: 'failed to read /p/.env: line 2: unexpected character "@" in variable name "B@D=2"' });
    assert.throws(() => parseDotenv('MY KEY=1\n', none, '/p/.env'), { message: 'failed to read /p/.env: line 1: key cannot contain a space' });
    assert.throws(() => parseDotenv('A="open\n', none, '/p/.env'), ComposeConfigError);
  });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-dotenv-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing file is Compose\'s error, unless it is not required', async () => {
    const f = path.join(dir, 'nope.env');
    await assert.rejects(readEnvFile(f, none), { message: `env file ${f} not found: stat ${f}: no such file or directory` });
    assert.equal(await readEnvFile(f, none, false), undefined);
  });
});
