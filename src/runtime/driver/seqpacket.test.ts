import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { text } from 'node:stream/consumers';
import { test, type TestContext } from 'node:test';
import { seqpacketPair } from '../../sys/index.js';
import { demultiplex } from './attach.js';
import { socketFromSeqpacketFd } from './seqpacket.js';

/** Both ends of a SOCK_SEQPACKET socketpair, each wrapped as berth wraps conmon's socket. */
function pair(t: TestContext): [Socket, Socket] {
  const [a, b] = seqpacketPair();
  const sockets: [Socket, Socket] = [socketFromSeqpacketFd(a), socketFromSeqpacketFd(b)];
  t.after(() => sockets.forEach((s) => s.destroy()));
  return sockets;
}

/** The next `n` 'data' events of `socket`, one per message. */
async function messages(socket: Socket, n: number): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of socket) {
    out.push((chunk as Buffer).toString('latin1'));
    if (out.length === n) break;
  }
  return out;
}

test('the pipe_wrap handle keeps SOCK_SEQPACKET message boundaries both ways', async (t) => {
  const [a, b] = pair(t);
  b.write('one');
  await new Promise((r) => setImmediate(r));
  b.write('two');
  assert.deepEqual(await messages(a, 2), ['one', 'two']);
});

test('end() shuts only our write side: the peer reads EOF and can still answer (allowHalfOpen)', async (t) => {
  const [a, b] = pair(t);
  b.resume();
  const peerEnded = once(b, 'end');
  a.end();
  await peerEnded;
  const got = once(a, 'data');
  b.write('after EOF');
  assert.equal(String((await got)[0]), 'after EOF');
});

test('demultiplex splits conmon frames by their first byte, in pieces conmon can read', async (t) => {
  const [ours, conmon] = pair(t);
  const streams = demultiplex(ours);
  conmon.write(Buffer.from('\x02out1'));
  conmon.write(Buffer.from('\x03err1'));
  conmon.write(Buffer.from('\x02out2'));
  conmon.write(Buffer.from('\x09ignored'));

  // 20,000 bytes of stdin become messages of at most 8,192: conmon truncates past 32,767.
  const input = Buffer.alloc(20_000, 'i');
  streams.stdin.end(input);
  const received: number[] = [];
  conmon.on('data', (m: Buffer) => received.push(m.length));
  await once(conmon, 'end');
  assert.deepEqual(received, [8192, 8192, 3616]);

  conmon.end();
  assert.equal(await text(streams.stdout), 'out1out2');
  assert.equal(await text(streams.stderr), 'err1');
});

test('close() detaches: both outputs end and nothing is thrown at the writer', async (t) => {
  const [ours] = pair(t);
  const streams = demultiplex(ours);
  streams.close();
  assert.equal(await text(streams.stdout), '');
  assert.equal(await text(streams.stderr), '');
  await new Promise<void>((resolve) => streams.stdin.end('dropped', () => resolve()));
});
