import path from 'node:path';
import { BLOCK_BYTES, PAX_XATTR_PREFIX, type EntryType, type TarHeader } from './tar-header.js';

/** Two zero blocks close an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK_BYTES);

const TYPEFLAGS: Record<EntryType, string> = {
  file: '0', link: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6',
};

const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;

/**
 * Encodes one entry's header: a ustar block, preceded by a PAX header when a field does not
 * fit (long or non-ASCII names, large ids or sizes) or the entry has xattrs. PAX values are
 * written as raw bytes, so binary xattrs survive.
 */
export function encodeHeader(h: TarHeader): Buffer {
  const pax = paxRecordsFor(h);
  const main = ustarBlock(h, h.type, pax.size > 0 ? asciiFallback(h.name) : h.name, TYPEFLAGS[h.type], h.size);
  if (pax.size === 0) return main;
  const body = encodePax(pax);
  const paxName = asciiFallback(path.posix.join('PaxHeaders.0', path.posix.basename(h.name)));
  const paxBlock = ustarBlock({ ...h, mode: 0o644 }, 'file', paxName, 'x', body.length);
  return Buffer.concat([paxBlock, body, padding(body.length), main]);
}

/** Zero bytes that round `size` up to a whole block. */
export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK_BYTES - (size % BLOCK_BYTES)) % BLOCK_BYTES);
}

function paxRecordsFor(h: TarHeader): Map<string, Buffer> {
  const pax = new Map<string, Buffer>();
  const name = h.type === 'dir' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  if (!fitsUstar(name)) pax.set('path', Buffer.from(name));
  if (!fitsUstar(h.linkname)) pax.set('linkpath', Buffer.from(h.linkname));
  if (h.uid > MAX_OCTAL_7) pax.set('uid', Buffer.from(String(h.uid)));
  if (h.gid > MAX_OCTAL_7) pax.set('gid', Buffer.from(String(h.gid)));
  if (h.size > MAX_OCTAL_11) pax.set('size', Buffer.from(String(h.size)));
  if (h.mtimeSec < 0 || h.mtimeSec > MAX_OCTAL_11) pax.set('mtime', Buffer.from(String(Math.floor(h.mtimeSec))));
  for (const [key, value] of [...h.xattrs].sort(([a], [b]) => (a < b ? -1 : 1))) pax.set(PAX_XATTR_PREFIX + key, value);
  return pax;
}

function fitsUstar(s: string): boolean {
  return s.length <= 100 && /^[\x20-\x7e]*$/.test(s);
}

function asciiFallback(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '_').slice(0, 100);
}

/** PAX records `<len> <key>=<value>\n`, where len counts its own digits. */
function encodePax(pax: Map<string, Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of pax) {
    const rest = Buffer.byteLength(key) + value.length + 3; // space, '=', newline
    let len = rest + String(rest).length;
    if (String(len).length !== String(len - rest).length) len = rest + String(len).length;
    parts.push(Buffer.from(`${len} ${key}=`), value, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

function ustarBlock(h: TarHeader, type: EntryType, name: string, typeflag: string, size: number): Buffer {
  const block = Buffer.alloc(BLOCK_BYTES);
  const fullName = type === 'dir' && !name.endsWith('/') ? `${name}/` : name;
  block.write(fullName.slice(0, 100), 0, 100, 'utf8');
  writeOctal(block, 100, 8, h.mode & 0o7777);
  writeOctal(block, 108, 8, h.uid > MAX_OCTAL_7 ? 0 : h.uid);
  writeOctal(block, 116, 8, h.gid > MAX_OCTAL_7 ? 0 : h.gid);
  writeOctal(block, 124, 12, size > MAX_OCTAL_11 ? 0 : size);
  writeOctal(block, 136, 12, h.mtimeSec < 0 || h.mtimeSec > MAX_OCTAL_11 ? 0 : Math.floor(h.mtimeSec));
  block.write(typeflag, 156, 1, 'latin1');
  if (fitsUstar(h.linkname)) block.write(h.linkname, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'latin1');
  writeOctal(block, 329, 8, h.devmajor > MAX_OCTAL_7 ? 0 : h.devmajor);
  writeOctal(block, 337, 8, h.devminor > MAX_OCTAL_7 ? 0 : h.devminor);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return block;
}

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'latin1');
}
