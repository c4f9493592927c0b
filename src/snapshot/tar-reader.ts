import {
  BLOCK_BYTES, MAX_META_BYTES, PAX_XATTR_PREFIX, decodeBlock, invalidTar, isZeroBlock, parsePax, paxNumber,
  type EntryType, type RawHeader, type TarHeader,
} from './tar-header.js';

/** One entry; `body` yields exactly `header.size` bytes and must be read before the next entry, or is skipped. */
export interface TarEntry {
  header: TarHeader;
  body: AsyncIterable<Buffer>;
}

/**
 * Reads a tar stream entry by entry, pulling input only as entries are consumed
 * (backpressure reaches the source). After the end-of-archive blocks it reads the source
 * to its end, so a hash taken over the source covers every byte, padding included: that
 * is what a diffId is. Header-only types (dirs, links, devices, fifos) carry no data even
 * when their size field says otherwise, as in Go's archive/tar, which wrote most layers.
 */
export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const bytes = new ByteReader(source[Symbol.asyncIterator]());
  try {
    let meta: Meta = {};
    for (;;) {
      const block = await bytes.read(BLOCK_BYTES);
      const isEnd = block === undefined || isZeroBlock(block);
      if (isEnd && Object.keys(meta).length > 0) throw invalidTar('archive ends after an extended header');
      // Go accepts an archive without end blocks; so do we.
      if (block === undefined) return;
      if (isEnd) {
        await bytes.drain();
        return;
      }
      const raw = decodeBlock(block);
      if (await readMeta(bytes, raw, meta)) continue;
      const header = finishHeader(raw, meta);
      meta = {};
      const body = new Body(bytes, header.size);
      yield { header, body };
      await body.skipRest();
      await bytes.skip(padOf(header.size));
    }
  } finally {
    await bytes.close();
  }
}

interface Meta {
  pax?: Map<string, Buffer>;
  longName?: string;
  longLink?: string;
}

/** Consumes PAX and GNU long-name headers into `meta`; true when `raw` was one of them. */
async function readMeta(bytes: ByteReader, raw: RawHeader, meta: Meta): Promise<boolean> {
  const kind = raw.typeflag;
  if (kind !== 'x' && kind !== 'g' && kind !== 'L' && kind !== 'K') return false;
  if (raw.size > MAX_META_BYTES) throw invalidTar(`extended header of ${raw.size} bytes is too large`);
  const data = await bytes.read(raw.size + padOf(raw.size));
  if (data === undefined && raw.size > 0) throw invalidTar('unexpected end of archive');
  const body = (data ?? Buffer.alloc(0)).subarray(0, raw.size);
  // Global PAX headers are ignored, as Docker's Unpack does.
  if (kind === 'x') meta.pax = parsePax(body);
  if (kind === 'L') meta.longName = trimNul(body);
  if (kind === 'K') meta.longLink = trimNul(body);
  return true;
}

function trimNul(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString('utf8', 0, end < 0 ? buf.length : end);
}

const TYPES: Record<string, EntryType> = {
  '0': 'file', '7': 'file', '1': 'link', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

function finishHeader(raw: RawHeader, meta: Meta): TarHeader {
  const pax = meta.pax ?? new Map<string, Buffer>();
  const name = paxText(pax, 'path') ?? meta.longName ?? raw.name;
  const type = TYPES[raw.typeflag];
  if (type === undefined) throw invalidTar(`entry ${JSON.stringify(name)} has unsupported type '${raw.typeflag}'`);
  const xattrs = new Map<string, Buffer>();
  for (const [key, value] of pax) {
    if (key.startsWith('GNU.sparse.')) {
      throw invalidTar(`entry ${JSON.stringify(name)} is a sparse file, which berth does not read`);
    }
    if (key.startsWith(PAX_XATTR_PREFIX)) xattrs.set(key.slice(PAX_XATTR_PREFIX.length), value);
  }
  const header: TarHeader = {
    name,
    type,
    linkname: paxText(pax, 'linkpath') ?? meta.longLink ?? raw.linkname,
    mode: raw.mode & 0o7777,
    uid: paxInt(pax, 'uid') ?? raw.uid,
    gid: paxInt(pax, 'gid') ?? raw.gid,
    size: type === 'file' ? paxInt(pax, 'size') ?? raw.size : 0,
    mtimeSec: paxTime(pax, 'mtime') ?? raw.mtimeSec,
    devmajor: raw.devmajor,
    devminor: raw.devminor,
    xattrs,
  };
  const atime = paxTime(pax, 'atime');
  if (atime !== undefined) header.atimeSec = atime;
  if (header.name.includes('\0') || header.linkname.includes('\0')) {
    throw invalidTar(`entry ${JSON.stringify(name)} has a NUL in its name`);
  }
  checkRanges(header);
  return header;
}

/** Numbers the kernel would refuse or misread (base-256 fields can even be negative). */
function checkRanges(h: TarHeader): void {
  // (uid_t)-1 means "leave unchanged" to chown(2), so the largest id is one less.
  const ranges: Array<[string, number, number]> = [
    ['uid', h.uid, 0xfffffffe], ['gid', h.gid, 0xfffffffe], ['size', h.size, Number.MAX_SAFE_INTEGER],
    ['devmajor', h.devmajor, 0xffffffff], ['devminor', h.devminor, 0xffffffff],
  ];
  for (const [what, value, max] of ranges) {
    if (value < 0 || value > max) throw invalidTar(`entry ${JSON.stringify(h.name)} has ${what} ${value} out of range`);
  }
}

function paxText(pax: Map<string, Buffer>, key: string): string | undefined {
  const v = pax.get(key);
  // An empty PAX value means "unset": the ustar field stands.
  return v === undefined || v.length === 0 ? undefined : v.toString('utf8');
}

function paxInt(pax: Map<string, Buffer>, key: string): number | undefined {
  const v = pax.get(key);
  return v === undefined || v.length === 0 ? undefined : paxNumber(v, key, false);
}

function paxTime(pax: Map<string, Buffer>, key: string): number | undefined {
  const v = pax.get(key);
  return v === undefined || v.length === 0 ? undefined : paxNumber(v, key, true);
}

function padOf(size: number): number {
  return (BLOCK_BYTES - (size % BLOCK_BYTES)) % BLOCK_BYTES;
}

/** An entry's content: yields its bytes as they arrive, without copying. */
class Body implements AsyncIterable<Buffer> {
  constructor(private readonly bytes: ByteReader, private left: number) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    while (this.left > 0) {
      const chunk = await this.bytes.upTo(this.left);
      this.left -= chunk.length;
      yield chunk;
    }
  }

  async skipRest(): Promise<void> {
    await this.bytes.skip(this.left);
    this.left = 0;
  }
}

/** Pulls chunks from an async iterator on demand and hands out exact byte counts. */
class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private isDone = false;

  constructor(private readonly it: AsyncIterator<Buffer>) {}

  /** Exactly n bytes; undefined at a clean end of input; throws when input ends part-way. */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.buffered < n) {
      if (await this.pull()) continue;
      if (this.buffered === 0) return undefined;
      throw invalidTar('unexpected end of archive');
    }
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    if (first.length >= n) return this.takeFrom(first, n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const part = this.takeFrom(this.chunks[0]!, n - filled);
      part.copy(out, filled);
      filled += part.length;
    }
    return out;
  }

  /** Between 1 and max bytes; throws when input ends first. */
  async upTo(max: number): Promise<Buffer> {
    while (this.buffered === 0) {
      if (!(await this.pull())) throw invalidTar('unexpected end of archive');
    }
    return this.takeFrom(this.chunks[0]!, max);
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) left -= (await this.upTo(left)).length;
  }

  /** Reads and discards everything up to the end of input. */
  async drain(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    while (await this.pull()) {
      this.chunks = [];
      this.buffered = 0;
    }
  }

  async close(): Promise<void> {
    if (!this.isDone) await this.it.return?.();
  }

  private takeFrom(chunk: Buffer, max: number): Buffer {
    if (chunk.length <= max) {
      this.chunks.shift();
      this.buffered -= chunk.length;
      return chunk;
    }
    this.chunks[0] = chunk.subarray(max);
    this.buffered -= max;
    return chunk.subarray(0, max);
  }

  private async pull(): Promise<boolean> {
    if (this.isDone) return false;
    const r = await this.it.next();
    if (r.done) {
      this.isDone = true;
      return false;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    return true;
  }
}
