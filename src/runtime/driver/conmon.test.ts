import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { test } from 'node:test';
import { silentLogger } from '../../util/index.js';
import { launchConmon } from './conmon.js';
import { CONMON } from './fixture.js';

const skip = await access(CONMON).then(() => false, () => `${CONMON} is not installed`);

test('a conmon that fails before it forks rejects with its own words (printed on stdout or stderr)', { skip }, async () => {
  const launch = (args: string[]) => launchConmon({ conmonPath: CONMON, args, cwd: '/', signal: AbortSignal.timeout(10_000), logger: silentLogger() });
  await assert.rejects(launch(['--bogus']), /exit status 1: conmon: option parsing failed: Unknown option --bogus$/);
  await assert.rejects(launch(['--cid', 'x']), /Container UUID not provided/);
});

test('a missing conmon binary rejects with ENOENT', async () => {
  await assert.rejects(
    launchConmon({ conmonPath: '/nonexistent/conmon', args: [], cwd: '/', signal: AbortSignal.timeout(10_000), logger: silentLogger() }),
    { code: 'ENOENT' },
  );
});
