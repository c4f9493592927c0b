import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { peekStream } from './peek.js';

async function all(r: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of r as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts).toString();
}

test('peekStream reads chunks until it has the bytes asked for, and the stream still gives everything', async () => {
  const { first, stream } = await peekStream(Readable.from(['ab', 'cd', 'efgh', 'ij'].map((s) => Buffer.from(s))), 5);
  assert.equal(first.toString(), 'abcdefgh');
  assert.equal(await all(stream), 'abcdefghij');
});

test('peekStream of a source shorter than asked: all of it, once; of an empty one: nothing', async () => {
  const short = await peekStream(Readable.from([Buffer.from('xy')]), 512);
  assert.equal(short.first.toString(), 'xy');
  assert.equal(await all(short.stream), 'xy');
  const empty = await peekStream(Readable.from([]), 6);
  assert.equal(empty.first.length, 0);
  assert.equal(await all(empty.stream), '');
});
