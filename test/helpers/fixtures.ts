import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { exec } from '../../src/util/index.js';
import { repoRoot } from './daemon.js';

/** Where fixtures built once per suite run live (BERTH_TEST_TMP is removed by scripts/test.sh). */
function fixtureDir(): string {
  return path.join(process.env.BERTH_TEST_TMP ?? '/tmp/berth-fixtures', 'fixtures');
}

async function once(name: string, build: (out: string) => Promise<void>): Promise<string> {
  const dir = fixtureDir();
  await fsp.mkdir(dir, { recursive: true });
  const out = path.join(dir, name);
  if (existsSync(out)) return out;
  const tmp = `${out}.tmp-${process.pid}`;
  await build(tmp);
  await fsp.rename(tmp, out);
  return out;
}

/** A rootfs tarball: Debian's static busybox and its applet links (no network). */
export function busyboxRootfsTar(): Promise<string> {
  return once('busybox-rootfs.tar', async (out) => {
    await exec('bash', [path.join(repoRoot, 'scripts/make-busybox-rootfs.sh'), out]);
  });
}

/**
 * An image built by tools nobody here wrote: umoci makes a two-layer OCI image from the
 * busybox rootfs (layer 2 adds /hello and deletes /etc/group, so it carries a whiteout) and
 * sets its config; skopeo converts the OCI layout to a docker-archive and an oci-archive.
 * Returns the OCI layout dir and both archives.
 */
export async function umociImage(): Promise<{ layout: string; dockerArchive: string; ociArchive: string }> {
  const base = await once('umoci', async (out) => {
    const rootfsTar = await busyboxRootfsTar();
    await fsp.mkdir(out, { recursive: true });
    const layout = path.join(out, 'layout');
    const bundle = path.join(out, 'bundle');
    await exec('umoci', ['init', '--layout', layout]);
    await exec('umoci', ['new', '--image', `${layout}:v1`]);
    await exec('umoci', ['unpack', '--image', `${layout}:v1`, bundle]);
    await exec('tar', ['-xf', rootfsTar, '-C', path.join(bundle, 'rootfs')]);
    await exec('umoci', ['repack', '--image', `${layout}:v1`, bundle]);
    // repack diffs against the unpacked state: unpack again so the next change is its own layer.
    await fsp.rm(bundle, { recursive: true, force: true });
    await exec('umoci', ['unpack', '--image', `${layout}:v1`, bundle]);
    await fsp.writeFile(path.join(bundle, 'rootfs', 'hello'), 'hello from layer two\n');
    await fsp.rm(path.join(bundle, 'rootfs', 'etc', 'group'));
    await exec('umoci', ['repack', '--image', `${layout}:v1`, bundle]);
    await exec('umoci', ['config', '--image', `${layout}:v1`, '--config.env', 'FOO=bar', '--config.cmd', 'sh', '--config.workingdir', '/root', '--config.label', 'org.berth.test=umoci', '--history.created_by', 'umoci config']);
    await exec('umoci', ['gc', '--layout', layout]);
    await fsp.rm(bundle, { recursive: true, force: true });
    const policy = path.join(out, 'policy.json');
    await fsp.writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    await exec('skopeo', ['--policy', policy, 'copy', '--quiet', `oci:${layout}:v1`, `docker-archive:${path.join(out, 'docker.tar')}:umoci/busybox:v1`]);
    await exec('skopeo', ['--policy', policy, 'copy', '--quiet', `oci:${layout}:v1`, `oci-archive:${path.join(out, 'oci.tar')}:v1`]);
  });
  return { layout: path.join(base, 'layout'), dockerArchive: path.join(base, 'docker.tar'), ociArchive: path.join(base, 'oci.tar') };
}
