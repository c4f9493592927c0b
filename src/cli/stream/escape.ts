/**
 * Detaching from a TTY session (moby/term): `--detach-keys` ("ctrl-p,ctrl-q" by default)
 * parsed by term.ToBytes, and term.NewEscapeProxy's matching on stdin. As in moby/term, a
 * sequence counts only when each read holds nothing but (the rest of) the sequence: keys
 * typed at a terminal arrive one read each, so that is where detaching works.
 */

export const DEFAULT_ESCAPE_KEYS = Buffer.from([16, 17]);

const CTRL_NAMES = ['ctrl-@', ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `ctrl-${c}`), 'ctrl-[', 'ctrl-\\', 'ctrl-]', 'ctrl-^', 'ctrl-_'];

/** term.ToBytes: "ctrl-p,ctrl-q" → [16, 17]; single characters stand for themselves. */
export function detachKeysToBytes(keys: string): Buffer {
  const codes: number[] = [];
  for (const key of keys.split(',')) {
    if (key.length === 1) {
      codes.push(key.charCodeAt(0));
      continue;
    }
    const code = CTRL_NAMES.indexOf(key);
    if (code >= 0) codes.push(code);
    else if (key === 'DEL') codes.push(127);
    else throw new Error(`Unknown character: '${key}'`);
  }
  return Buffer.from(codes);
}

/** term.EscapeError: the user typed the detach sequence. */
export class DetachError extends Error {
  constructor() {
    super('read escape sequence');
    this.name = 'DetachError';
  }
}

/**
 * term.NewEscapeProxy as a filter over chunks: returns the bytes to forward (possibly
 * empty while a sequence is being typed), or throws DetachError when it completes.
 */
export class EscapeProxy {
  private pos = 0;

  constructor(private readonly keys: Buffer) {}

  filter(chunk: Buffer): Buffer {
    if (chunk.length === 0 || this.keys.length === 0) return chunk;
    const heldBefore = this.pos;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== this.keys[this.pos]) return this.preserve(heldBefore, chunk);
      this.pos++;
      if (this.pos === this.keys.length) throw new DetachError();
      if (i === chunk.length - 1) return Buffer.alloc(0);
    }
    return this.preserve(heldBefore, chunk);
  }

  /** A partial sequence followed by other input: keys held back from earlier reads go out first. */
  private preserve(heldBefore: number, chunk: Buffer): Buffer {
    this.pos = 0;
    return heldBefore ? Buffer.concat([this.keys.subarray(0, heldBefore), chunk]) : chunk;
  }
}
