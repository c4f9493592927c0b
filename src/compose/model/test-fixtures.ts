import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadProject } from './load.js';
import type { LoadOptions, Project } from './types.js';

/** A temp directory holding `files` (paths relative to it); removed by the returned cleanup. */
export function fixture(files: Record<string, string>, prefix = 'berth-compose-'): { dir: string; cleanup: () => void } {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return { dir: root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** loadProject with an empty environment (HOME only) unless `opts` says otherwise. */
export function load(cwd: string, opts: Partial<LoadOptions> = {}): Promise<Project> {
  return loadProject({ files: [], envFiles: [], profiles: [], env: { HOME: '/home/u' }, cwd, ...opts });
}
