import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSignal, validateCreate } from './validate.js';

const v = (host: Record<string, unknown>, config: Record<string, unknown> = {}) => validateCreate(config, host, ['runc', 'crun']);

test('create settings are checked with dockerd\'s messages', () => {
  assert.throws(() => v({ RestartPolicy: { Name: 'sometimes' } }), { status: 400, message: "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'" });
  assert.throws(() => v({ RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } }), { message: "invalid restart policy: maximum retry count can only be used with 'on-failure'" });
  assert.throws(() => v({ AutoRemove: true, RestartPolicy: { Name: 'always' } }), { message: "can't create 'AutoRemove' container with restart policy" });
  assert.throws(() => v({ Memory: 1024 }), { message: 'Minimum memory limit allowed is 6MB' });
  assert.throws(() => v({ Memory: 64 << 20, MemorySwap: 32 << 20 }), { message: 'Minimum memoryswap limit should be larger than memory limit, see usage' });
  assert.throws(() => v({ NanoCpus: 1e9, CpuQuota: 50000 }), { message: 'Conflicting options: Nano CPUs and CPU Quota cannot both be set' });
  assert.throws(() => v({ CpuPeriod: 10 }), { message: 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)' });
  assert.throws(() => v({ OomScoreAdj: 2000 }), { message: 'Invalid value 2000, range for oom score adj is [-1000, 1000]' });
  assert.throws(() => v({ Runtime: 'kata' }), { message: 'unknown or invalid runtime name: kata' });
  assert.throws(() => v({}, { StopSignal: 'SIGNOPE' }), { message: 'Invalid signal: SIGNOPE' });
  assert.deepEqual(v({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 }, Memory: 64 << 20 }), []);
});

test('parseSignal reads names with or without SIG and numbers', () => {
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('kill'), 9);
  assert.equal(parseSignal('10'), 10);
  assert.equal(parseSignal('SIGRTMIN+3'), 37);
  assert.throws(() => parseSignal('0'), { message: 'Invalid signal: 0' });
});
