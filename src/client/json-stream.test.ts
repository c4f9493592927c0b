import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { jsonValues } from './json-stream.js';

async function collect(chunks: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const v of jsonValues(Readable.from(chunks.map((c) => Buffer.from(c))))) out.push(v);
  return out;
}

describe('JSON value streams', () => {
  it('splits concatenated and newline-separated objects across chunks', async () => {
    assert.deepEqual(await collect(['{"a":1}{"b":', '"}{\\"x"}\n', '\n{"c":[1,{"d":2}]}\n']), ['{"a":1}', '{"b":"}{\\"x"}', '{"c":[1,{"d":2}]}']);
  });

  it('fails on a truncated value', async () => {
    await assert.rejects(collect(['{"a":']), { message: 'unexpected EOF' });
  });

  it('fails on text that is not JSON', async () => {
    await assert.rejects(collect(['oops']), { message: "invalid character 'o' looking for beginning of value" });
  });
});
