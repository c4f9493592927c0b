/**
 * A minimal Debian root made with debootstrap, for tests that need real distribution
 * software (nginx, redis) rather than busybox. The root is cached under
 * /var/cache/berth-test/debian-<hash of suite and packages>.tar and reused by every test
 * (and every run) asking for the same package list; building it needs the package mirror.
 * The mirror is read from the host's apt sources at run time, never written down here.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { exec } from '../../src/util/index.js';

const CACHE_DIR = process.env.BERTH_TEST_CACHE ?? '/var/cache/berth-test';

/** The first `URIs:` of a deb822 source whose suites name a release (not -security/-updates). */
export function debianMirror(): { uri: string; suite: string } {
  const dir = '/etc/apt/sources.list.d';
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sources')) : [];
  for (const f of files) {
    for (const stanza of readFileSync(path.join(dir, f), 'utf8').split(/\n\s*\n/)) {
      const field = (name: string): string | undefined => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim();
      const uri = field('URIs')?.split(/\s+/)[0];
      const suite = field('Suites')?.split(/\s+/).find((s) => !s.includes('-'));
      if (uri && suite && !/security/.test(uri)) return { uri, suite };
    }
  }
  throw new Error(`no Debian mirror found in ${dir}/*.sources`);
}

/**
 * A rootfs tarball of `debootstrap --variant=minbase --include=<packages>`, built once and
 * cached. Concurrent builders each write a temp name and rename: the last one wins whole.
 */
export async function debianRootfsTar(packages: string[]): Promise<string> {
  const { uri, suite } = debianMirror();
  const sorted = [...new Set(packages)].sort();
  const key = createHash('sha256').update(`${suite}\n${sorted.join(',')}`).digest('hex').slice(0, 16);
  const out = path.join(CACHE_DIR, `debian-${suite}-${key}.tar`);
  if (existsSync(out)) return out;
  await fsp.mkdir(CACHE_DIR, { recursive: true });
  const work = await fsp.mkdtemp(path.join(CACHE_DIR, `build-${key}-`));
  try {
    const root = path.join(work, 'root');
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };
    await exec('debootstrap', ['--variant=minbase', `--include=${sorted.join(',')}`, suite, root, uri], { env, timeoutMs: 20 * 60_000 });
    // Package lists and caches are not part of an image; daemons installed by the packages
    // must not think they run under an init system.
    await fsp.rm(path.join(root, 'var/cache/apt/archives'), { recursive: true, force: true });
    await fsp.rm(path.join(root, 'var/lib/apt/lists'), { recursive: true, force: true });
    const tmp = `${out}.tmp-${process.pid}`;
    await exec('tar', ['--numeric-owner', '--xattrs', '-C', root, '-cf', tmp, '.'], { env, timeoutMs: 10 * 60_000 });
    await fsp.rename(tmp, out);
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
  return out;
}
