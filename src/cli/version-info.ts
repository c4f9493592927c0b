/** berth's own version, read from the project's package.json (found upward from this module). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'berth' && pkg.version) return pkg.version;
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

export const BERTH_VERSION = findPackageVersion();
/** Set at build or packaging time; docker prints its git commit in the same places. */
export const GIT_COMMIT = process.env.BERTH_GIT_COMMIT || 'unknown';

/** When this code was compiled: the emitted module's mtime (docker prints its build time). */
export const BUILD_TIME = statSync(fileURLToPath(import.meta.url)).mtime.toISOString();
