/**
 * The client configuration directory, as docker's: `--config`, else DOCKER_CONFIG, else
 * ~/.docker, so berth reads the same config.json (and, later, the same registry
 * credentials) as docker. Only read, never written, by the commands here.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export interface ConfigFile {
  imagesFormat?: string;
  psFormat?: string;
  [key: string]: unknown;
}

export interface ClientConfig {
  dir: string;
  file: ConfigFile;
  /** A problem reading config.json, printed as docker's warning. */
  warning?: string;
}

export function defaultConfigDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG || path.join(env.HOME || homedir(), '.docker');
}

export function loadClientConfig(dirFlag: string | undefined, env: NodeJS.ProcessEnv): ClientConfig {
  const dir = dirFlag || defaultConfigDir(env);
  const file = path.join(dir, 'config.json');
  // No config file is the normal case: asked without an exception (whose making costs more
  // than the stat, ADR 0014). Any other answer is left to the read, which reports it.
  let absent = false;
  try {
    absent = statSync(file, { throwIfNoEntry: false }) === undefined;
  } catch { /* reported by the read below */ }
  if (absent) return { dir, file: {} };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    // No config file is the normal case: docker then uses its defaults silently.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { dir, file: {} };
    return { dir, file: {}, warning: `WARNING: Error loading config file: ${file}: ${(e as Error).message}` };
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return { dir, file: typeof parsed === 'object' && parsed !== null ? (parsed as ConfigFile) : {} };
  } catch (e) {
    return { dir, file: {}, warning: `WARNING: Error loading config file: ${file}: ${(e as Error).message}` };
  }
}
