import { promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import { InvalidArgumentError } from '../errors/index.js';
import type { ProgressMessage } from '../registry/index.js';
import { resolveWithin } from '../store/index.js';
import { exec } from '../util/index.js';
import { peekStream } from './peek.js';

/** The build context a `remote` URL gave: a tar stream, or a Dockerfile's text alone. */
export type RemoteContext = { kind: 'archive'; body: Readable } | { kind: 'dockerfile'; text: string };

/** moby's urlutil.IsGitURL, for the refusal below. */
export function isGitUrl(s: string): boolean {
  return /^(git:\/\/|git@|github\.com\/)/.test(s) || (/^https?:\/\//.test(s) && /\.git(#.*)?$/.test(s));
}

const MAX_DOCKERFILE_BYTES = 16 << 20;

/**
 * `POST /build?remote=<url>`, as dockerd's remotecontext.Detect for a URL: berthd downloads
 * it; a `text/plain` answer (or one with no or a generic type whose first bytes sniff as
 * text, as http.DetectContentType does) is the Dockerfile, anything else the context
 * archive (plain or compressed tar). The download shows as dockerd's progress message
 * "Downloading build context from remote url: <url>".
 */
export async function openRemoteContext(url: string, signal: AbortSignal, emit: (m: ProgressMessage) => void): Promise<RemoteContext> {
  if (isGitUrl(url)) throw new InvalidArgumentError(`internal: ${url} is a git URL (cloneGitContext)`);
  if (!/^https?:\/\//i.test(url)) throw new InvalidArgumentError(`unable to prepare context: '${url}' is not a valid URL`);
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow' });
  } catch (err) {
    throw new InvalidArgumentError(`error downloading remote context ${url}: Get ${JSON.stringify(url)}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new InvalidArgumentError(`error downloading remote context ${url}: failed to GET ${url} with status ${res.status} ${res.statusText}`);
  }
  const total = Number(res.headers.get('content-length') ?? -1);
  const action = `Downloading build context from remote url: ${url}`;
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  const { first: head, stream: all } = await peekStream(body, 512);
  if (head.length === 0) throw new InvalidArgumentError(`error detecting content type for remote ${url}: empty response`);
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const isText = type === 'text/plain' || ((type === '' || type === 'application/octet-stream') && looksLikeText(head));
  const progress = (current: number): ProgressMessage => ({ status: action, progressDetail: { current, ...(total > 0 ? { total } : {}) } });
  if (isText) {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const c of all as AsyncIterable<Buffer>) {
      parts.push(c);
      size += c.length;
      if (size > MAX_DOCKERFILE_BYTES) throw new InvalidArgumentError(`error downloading remote context ${url}: the Dockerfile is larger than ${MAX_DOCKERFILE_BYTES} bytes`);
    }
    emit(progress(size));
    return { kind: 'dockerfile', text: Buffer.concat(parts).toString('utf8') };
  }
  emit(progress(head.length));
  let sent = 0;
  const stream = Readable.from((async function* () {
    for await (const c of all as AsyncIterable<Buffer>) {
      sent += c.length;
      yield c;
    }
    // The tar reader may stop at the end blocks; reaching the end is reported when it is read.
    if (sent !== head.length) emit(progress(sent));
  })());
  return { kind: 'archive', body: stream };
}

/** http.DetectContentType's text rule: no byte that only binary data has in the first 512. */
function looksLikeText(head: Buffer): boolean {
  if (head[0] === 0x1f && head[1] === 0x8b) return false;
  for (const b of head.subarray(0, 512)) {
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return false;
  }
  return true;
}

/**
 * A git context, as moby's gitutils.Clone: `<repo>[#<ref>][:<subdir>]`, a shallow clone of
 * the ref (a branch or a tag; "master" without one, as moby) with its submodules, git's
 * own config isolated from the host's. `github.com/x/y` means https. Returns the context
 * directory (the subdirectory, resolved inside the clone).
 */
export async function cloneGitContext(url: string, into: string, signal: AbortSignal): Promise<string> {
  const hash = url.indexOf('#');
  let repo = hash < 0 ? url : url.slice(0, hash);
  const fragment = hash < 0 ? '' : url.slice(hash + 1);
  const colon = fragment.indexOf(':');
  // moby's getRefAndSubdir: no ref is "master" (not the remote's default branch).
  const ref = (colon < 0 ? fragment : fragment.slice(0, colon)) || 'master';
  const subdir = colon < 0 ? '' : fragment.slice(colon + 1);
  if (repo.startsWith('github.com/')) repo = `https://${repo}`;
  if (ref.startsWith('-')) throw new InvalidArgumentError(`invalid git ref: ${ref}`);
  // berthd runs as root: only network transports, for the repository and its submodules
  // (a submodule's file:// URL would otherwise read the daemon host's repositories).
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: into, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: 'http:https:git:ssh' };
  const shallow = await supportsShallowClone(repo, signal) ? ['--depth', '1', '--shallow-submodules'] : [];
  const args = ['clone', '--quiet', ...shallow, '--recurse-submodules', '--branch', ref, '--', repo, 'clone'];
  const r = await exec('git', args, { cwd: into, env, signal, timeoutMs: 10 * 60_000, allowFailure: true });
  if (r.code !== 0) throw new InvalidArgumentError(`unable to prepare context: unable to 'git clone' to temporary context directory: error fetching: ${r.stderr.trim()}: exit status ${r.code ?? 1}`);
  const root = `${into}/clone`;
  const dir = subdir ? resolveWithin(root, subdir) : root;
  const st = await fsp.stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new InvalidArgumentError(`unable to prepare context: subdirectory ${subdir} not found in ${repo}`);
  return dir;
}

/**
 * moby's supportsShallowClone: git's "dumb" HTTP transport cannot fetch shallowly, so an
 * http(s) repository is cloned with depth 1 only when it answers as a smart server.
 */
export async function supportsShallowClone(repo: string, signal: AbortSignal): Promise<boolean> {
  if (!/^https?:\/\//i.test(repo)) return true;
  try {
    const res = await fetch(`${repo.replace(/\/+$/, '')}/info/refs?service=git-upload-pack`, { method: 'HEAD', signal, redirect: 'follow' });
    return res.ok && res.headers.get('content-type') === 'application/x-git-upload-pack-advertisement';
  } catch {
    // Unreachable here: git's own clone then says why, with its words.
    return false;
  }
}
