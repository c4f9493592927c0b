import { InvalidArgumentError } from '../errors/index.js';

/**
 * The tar entry as berth reads and writes it. We keep our own codec rather than tar-stream's
 * because layer xattrs are binary (security.capability holds bytes >= 0x80) and tar-stream
 * decodes and encodes PAX values as UTF-8 text, which corrupts them.
 */
export type EntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarHeader {
  name: string;
  type: EntryType;
  /** Target of a symlink, or the earlier entry a hard link points at. */
  linkname: string;
  /** Permission bits including setuid, setgid and sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Content bytes that follow the header; always 0 except for 'file'. */
  size: number;
  /** Seconds since the epoch; PAX may make it fractional. */
  mtimeSec: number;
  atimeSec?: number;
  devmajor: number;
  devminor: number;
  /** From PAX `SCHILY.xattr.<name>` records, values as raw bytes. */
  xattrs: Map<string, Buffer>;
}

export const BLOCK_BYTES = 512;
/** Go's archive/tar refuses PAX and GNU long-name bodies above 1 MiB; so do we. */
export const MAX_META_BYTES = 1 << 20;
export const PAX_XATTR_PREFIX = 'SCHILY.xattr.';

/** The fields of one 512-byte header block, before PAX and GNU long names apply. */
export interface RawHeader {
  name: string;
  linkname: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeSec: number;
  devmajor: number;
  devminor: number;
}

export function invalidTar(message: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid tar stream: ${message}`);
}

export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Decodes one header block (ustar, GNU or V7), checking its checksum. */
export function decodeBlock(block: Buffer): RawHeader {
  verifyChecksum(block);
  const magic = block.toString('latin1', 257, 263);
  let name = cString(block, 0, 100);
  // Only POSIX ustar has the prefix field; in GNU headers those bytes hold atime/ctime.
  if (magic === 'ustar\0' && block[345] !== 0) name = `${cString(block, 345, 155)}/${name}`;
  let typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
  // V7 archives mark directories only by a trailing slash.
  if ((typeflag === '0' || typeflag === '7') && name.endsWith('/')) typeflag = '5';
  return {
    name,
    linkname: cString(block, 157, 100),
    typeflag,
    mode: parseNumeric(block.subarray(100, 108), 'mode'),
    uid: parseNumeric(block.subarray(108, 116), 'uid'),
    gid: parseNumeric(block.subarray(116, 124), 'gid'),
    size: parseNumeric(block.subarray(124, 136), 'size'),
    mtimeSec: parseNumeric(block.subarray(136, 148), 'mtime'),
    devmajor: parseNumeric(block.subarray(329, 337), 'devmajor'),
    devminor: parseNumeric(block.subarray(337, 345), 'devminor'),
  };
}

function verifyChecksum(block: Buffer): void {
  const stored = parseNumeric(block.subarray(148, 156), 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_BYTES; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  // Some old writers summed signed chars; Go accepts either, as do we.
  if (stored !== unsigned && stored !== signed) throw invalidTar('header checksum mismatch (is it a tar archive?)');
}

function cString(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end < 0 || end > start + len ? start + len : end);
}

/** An octal field, or GNU base-256 (high bit of the first byte set) for large values. */
export function parseNumeric(field: Buffer, what: string): number {
  if (field.length > 0 && (field[0]! & 0x80) !== 0) return parseBase256(field, what);
  const text = field.toString('latin1').replace(/^[\0 ]+|[\0 ]+$/g, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw invalidTar(`bad ${what} field ${JSON.stringify(text)}`);
  const n = parseInt(text, 8);
  if (!Number.isSafeInteger(n)) throw invalidTar(`${what} out of range`);
  return n;
}

function parseBase256(field: Buffer, what: string): number {
  // Two's complement over the bits after the marker bit, as Go reads it.
  const negative = (field[0]! & 0x40) !== 0;
  let v = BigInt(field[0]! & 0x7f);
  for (let i = 1; i < field.length; i++) v = (v << 8n) | BigInt(field[i]!);
  if (negative) v -= 1n << BigInt(7 + 8 * (field.length - 1));
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw invalidTar(`${what} out of range`);
  return n;
}

/**
 * Parses PAX extended header records (`<len> <key>=<value>\n`). Values stay bytes: only
 * the caller knows which are text (path) and which are binary (xattrs).
 */
export function parsePax(buf: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let off = 0;
  while (off < buf.length && buf[off] !== 0) {
    const space = buf.indexOf(0x20, off);
    const len = space < 0 ? NaN : Number(buf.toString('latin1', off, space));
    if (!Number.isInteger(len) || len <= space - off + 1 || off + len > buf.length) throw invalidTar('malformed PAX record');
    const record = buf.subarray(space + 1, off + len);
    const eq = record.indexOf(0x3d);
    if (eq < 0 || record[record.length - 1] !== 0x0a) throw invalidTar('malformed PAX record');
    records.set(record.toString('utf8', 0, eq), record.subarray(eq + 1, record.length - 1));
    off += len;
  }
  return records;
}

/** A decimal PAX number: integers for ids and size, possibly fractional for times. */
export function paxNumber(value: Buffer, key: string, fractional: boolean): number {
  const text = value.toString('latin1');
  const re = fractional ? /^-?\d+(\.\d+)?$/ : /^\d+$/;
  const n = Number(text);
  if (!re.test(text) || !Number.isFinite(n) || (!fractional && !Number.isSafeInteger(n))) {
    throw invalidTar(`bad PAX ${key} ${JSON.stringify(text)}`);
  }
  return n;
}
