import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { isErrno } from '../../errors/index.js';
import { ComposeConfigError } from './errors.js';

/** compose-go's DefaultFileNames and DefaultOverrideFileNames, in its order of preference. */
export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
export const OVERRIDE_FILE_NAMES = ['compose.override.yml', 'compose.override.yaml', 'docker-compose.override.yml', 'docker-compose.override.yaml'];

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return false;
    throw err;
  }
}

async function firstExisting(dir: string, names: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const n of names) if (await exists(path.join(dir, n))) found.push(path.join(dir, n));
  return found;
}

/**
 * The files Compose reads when no -f and no COMPOSE_FILE are given: the first of
 * compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml in `dir`, else in its
 * parents up to /, plus the matching override file beside it. Several candidates in one
 * directory: the first is used and `warn` says so, as Compose does.
 */
export async function discoverComposeFiles(dir: string, warn: (msg: string) => void): Promise<string[]> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const found = await firstExisting(d, COMPOSE_FILE_NAMES);
    if (found.length > 0) {
      if (found.length > 1) warn(`Found multiple config files with supported names: ${found.join(', ')}\nUsing ${found[0]}`);
      const overrides = await firstExisting(d, OVERRIDE_FILE_NAMES);
      if (overrides.length > 1) warn(`Found multiple override files with supported names: ${overrides.join(', ')}\nUsing ${overrides[0]}`);
      return overrides.length > 0 ? [found[0]!, overrides[0]!] : [found[0]!];
    }
    if (path.dirname(d) === d) throw new ComposeConfigError('no configuration file provided: not found');
  }
}

/** -f / COMPOSE_FILE paths, absolute; a missing one is the error Compose prints. */
export async function checkComposeFiles(files: string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const abs = path.resolve(cwd, f);
    try {
      const st = await stat(abs);
      if (st.isDirectory()) throw new ComposeConfigError(`read ${abs}: is a directory`);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new ComposeConfigError(`open ${abs}: no such file or directory`, { cause: err });
      throw err;
    }
    out.push(abs);
  }
  return out;
}
