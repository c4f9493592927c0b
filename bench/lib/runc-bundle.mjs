// The raw-runtime baseline: an OCI bundle from `runc spec` with the same busybox rootfs, run
// with `runc run` (foreground; it deletes the container when `true` exits).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from './proc.mjs';

/**
 * Writes `<dir>/config.json` and `<dir>/rootfs`. runc's default spec already matches
 * `--network none`: it asks for a new network namespace and configures no interface in it
 * (loopback down, as runc leaves it). Only the process changes: `true`, without a terminal.
 */
export async function makeRuncBundle({ dir, rootfsTar, signal }) {
  await mkdir(join(dir, 'rootfs'), { recursive: true });
  await runTool('tar', ['-xf', rootfsTar, '-C', join(dir, 'rootfs')], { signal, timeoutMs: 60_000 });
  await runTool('runc', ['spec', '--bundle', dir], { signal, timeoutMs: 10_000 });
  const configPath = join(dir, 'config.json');
  const spec = JSON.parse(await readFile(configPath, 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['true'];
  await writeFile(configPath, `${JSON.stringify(spec, null, 2)}\n`);
  if (!spec.linux.namespaces.some((ns) => ns.type === 'network')) {
    throw new Error('runc spec gave no network namespace: the baseline would not match --network none');
  }
  return { dir };
}

/** One `runc run` of the bundle under a fresh id; resolves with its wall time. */
export function runcRun({ root, bundle, id, signal }) {
  return runTool('runc', ['--root', root, 'run', '--bundle', bundle, id], { signal, timeoutMs: 60_000 });
}
