import { Readable } from 'node:stream';
import { InvalidArgumentError, NotImplementedError } from '../errors/index.js';
import type { ProgressMessage } from '../registry/index.js';

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
  if (isGitUrl(url)) throw new NotImplementedError(`git build contexts are not supported by berth: ${url}`);
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
  const it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let size = 0;
  let isDone = false;
  while (size < 512) {
    const r = await it.next();
    if (r.done) { isDone = true; break; }
    chunks.push(r.value);
    size += r.value.length;
  }
  const head = Buffer.concat(chunks);
  if (head.length === 0) throw new InvalidArgumentError(`error detecting content type for remote ${url}: empty response`);
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const isText = type === 'text/plain' || ((type === '' || type === 'application/octet-stream') && looksLikeText(head));
  const progress = (current: number): ProgressMessage => ({ status: action, progressDetail: { current, ...(total > 0 ? { total } : {}) } });
  if (isText) {
    let text = head;
    while (!isDone) {
      const r = await it.next();
      if (r.done) break;
      text = Buffer.concat([text, r.value]);
      if (text.length > MAX_DOCKERFILE_BYTES) throw new InvalidArgumentError(`error downloading remote context ${url}: the Dockerfile is larger than ${MAX_DOCKERFILE_BYTES} bytes`);
    }
    emit(progress(text.length));
    return { kind: 'dockerfile', text: text.toString('utf8') };
  }
  emit(progress(head.length));
  let sent = 0;
  const stream = Readable.from((async function* () {
    sent += head.length;
    yield head;
    if (isDone) return;
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      sent += r.value.length;
      yield r.value;
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
