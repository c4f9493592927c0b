import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isErrno } from '../../errors/index.js';
import type { Logger } from '../../util/index.js';
import type { ExitInfo } from './types.js';

export interface ExitEvent extends ExitInfo {
  id: string;
}

/**
 * Reads an exit file conmon wrote (its content the code, its mtime the finish time), or
 * undefined when there is none yet.
 */
export async function readExitFile(path: string): Promise<ExitInfo | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const exitCode = Number.parseInt(text.trim(), 10);
    if (!Number.isSafeInteger(exitCode)) throw new Error(`exit file ${path} holds no exit code: ${JSON.stringify(text)}`);
    return { exitCode, finishedAt: st.mtime };
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/**
 * conmon writes exit files with g_file_set_contents: a temp file `<name>.XXXXXX` renamed
 * into place. Those temp names, and anything else with a dot, are not exit files: container
 * and exec ids are hex (tests use [a-z0-9-]).
 */
function isExitFileName(name: string): boolean {
  return name.length > 0 && !name.includes('.');
}

/**
 * Watches conmon's `--exit-dir` and emits `'exit'` ({id, exitCode, finishedAt}) once per exit
 * file: for files already there at `start()` (exits while berthd was down) and for each new
 * one. A file removed and written again (the container ran again) is emitted again. Attach
 * listeners before `start()`. Read failures are logged at warn, not emitted: one bad file
 * must not stop exits of other containers from being seen.
 */
export class ExitWatcher extends EventEmitter<{ exit: [ExitEvent] }> {
  private watcher: FSWatcher | undefined;
  /** id → inode of the exit file already emitted. */
  private readonly emitted = new Map<string, number>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly opts: { dir: string; logger: Logger }) {
    super();
  }

  /** Starts watching, then scans; resolves once every file present has been emitted. */
  async start(): Promise<void> {
    if (this.watcher) return;
    await mkdir(this.opts.dir, { recursive: true });
    // Watch before scanning, so no file written in between is missed (duplicates are dropped).
    this.watcher = watch(this.opts.dir, (_event, name) => {
      if (name && isExitFileName(name)) this.enqueue(name);
    });
    this.watcher.on('error', (err) => this.opts.logger.warn({ component: 'runtime', err }, 'exit dir watch failed'));
    for (const name of await readdir(this.opts.dir)) {
      if (isExitFileName(name)) this.enqueue(name);
    }
    await this.queue;
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  readExit(id: string): Promise<ExitInfo | undefined> {
    return readExitFile(join(this.opts.dir, id));
  }

  private enqueue(id: string): void {
    this.queue = this.queue.then(() => this.check(id)).catch((err: unknown) => {
      this.opts.logger.warn({ component: 'runtime', containerId: id, err }, 'exit file not handled');
    });
  }

  private async check(id: string): Promise<void> {
    const path = join(this.opts.dir, id);
    let ino: number;
    try {
      ino = (await stat(path)).ino;
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      this.emitted.delete(id);
      return;
    }
    if (this.emitted.get(id) === ino) return;
    const info = await readExitFile(path);
    if (!info) return;
    this.emitted.set(id, ino);
    this.emit('exit', { id, ...info });
  }
}

/**
 * Resolves with the exit file at `path` once conmon has written it (an exec's `<execDir>/exit`),
 * whether it is there already or appears later.
 */
export async function waitExitFile(path: string, opts: { signal?: AbortSignal } = {}): Promise<ExitInfo> {
  opts.signal?.throwIfAborted();
  const name = basename(path);
  let wake: () => void = () => undefined;
  const watcher = watch(dirname(path), (_event, changed) => {
    if (!changed || changed === name) wake();
  });
  const onAbort = () => wake();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const changed = new Promise<void>((resolve) => { wake = resolve; });
      const info = await readExitFile(path);
      if (info) return info;
      opts.signal?.throwIfAborted();
      await changed;
      opts.signal?.throwIfAborted();
    }
  } finally {
    watcher.close();
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
