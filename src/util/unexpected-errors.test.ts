import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { exec } from './exec.js';
import { handleUnexpectedErrors, type ProcessEvents } from './unexpected-errors.js';

function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>); done(); } });
  return { logger: pino({ base: undefined }, sink), lines };
}

describe('handleUnexpectedErrors', () => {
  it('logs a rejection and an exception at error with message and stack', async () => {
    const { logger, lines } = capture();
    const proc = new EventEmitter();
    const uninstall = handleUnexpectedErrors(logger, proc as unknown as ProcessEvents);
    proc.emit('unhandledRejection', new Error('no one awaited this'));
    proc.emit('uncaughtException', new TypeError('x is not a function'), 'uncaughtException');
    proc.emit('unhandledRejection', 'a bare string');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(lines.length, 3);
    const [rejection, exception, bare] = lines as [Record<string, any>, Record<string, any>, Record<string, any>];
    assert.equal(rejection.level, 50);
    assert.equal(rejection.component, 'daemon');
    assert.equal(rejection.msg, 'unhandled promise rejection; berthd keeps serving');
    assert.equal(rejection.err.message, 'no one awaited this');
    assert.match(rejection.err.stack, /^Error: no one awaited this\n {4}at /);
    assert.equal(exception.level, 50);
    assert.equal(exception.msg, 'uncaught exception; berthd keeps serving');
    assert.equal(exception.err.type, 'TypeError');
    assert.equal(exception.origin, 'uncaughtException');
    assert.equal(bare.err, 'a bare string');
    uninstall();
    assert.equal(proc.listenerCount('unhandledRejection'), 0);
    assert.equal(proc.listenerCount('uncaughtException'), 0);
  });

  it('a real process with the handlers logs both and keeps running (Node would exit 1)', async () => {
    const util = new URL('./index.js', import.meta.url).href;
    const script = `
      import { createLogger, handleUnexpectedErrors } from ${JSON.stringify(util)};
      handleUnexpectedErrors(createLogger());
      Promise.reject(new Error('floating rejection'));
      setTimeout(() => { throw new Error('thrown in a timer'); }, 0);
      setTimeout(() => { process.stdout.write('still serving\\n'); }, 100);
    `;
    const r = await exec(process.execPath, ['--input-type=module', '-e', script], { allowFailure: true, timeoutMs: 10_000, cwd: fileURLToPath(new URL('.', import.meta.url)) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'still serving\n');
    const logged = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string; err: { message: string; stack: string } });
    assert.deepEqual(logged.map((l) => [l.level, l.msg, l.err.message]), [
      [50, 'unhandled promise rejection; berthd keeps serving', 'floating rejection'],
      [50, 'uncaught exception; berthd keeps serving', 'thrown in a timer'],
    ]);
    assert.ok(logged.every((l) => l.err.stack.includes('\n    at ')));
  });
});
