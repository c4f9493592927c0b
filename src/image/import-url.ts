import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ForbiddenError, InternalError, InvalidArgumentError, NotFoundError, UnauthorizedError, type EngineError } from '../errors/index.js';

/**
 * The source of `POST /images/create?fromSrc=<URL>`, fetched as dockerd does
 * (remotecontext.GetWithStatusError): a source without a scheme is `http://`; a status of
 * 400 or more is an error with the body's text, its class from the status.
 */
export async function openImportUrl(src: string, signal?: AbortSignal): Promise<{ url: string; body: Readable }> {
  const url = src.includes('://') ? src : `http://${src}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: signal ?? null, redirect: 'follow' });
  } catch (err) {
    if (signal?.aborted) throw err;
    const cause = (err as Error & { cause?: Error }).cause;
    throw new InternalError(`Get ${JSON.stringify(url)}: ${cause?.message ?? (err as Error).message}`, { cause: err });
  }
  if (res.status >= 400) {
    const text = (await res.text().catch(() => '')).trim();
    const msg = `failed to GET ${url} with status ${res.status} ${res.statusText}: ${text}`;
    const cls: new (m: string) => EngineError = res.status === 404 ? NotFoundError : res.status === 400 ? InvalidArgumentError
      : res.status === 401 ? UnauthorizedError : res.status === 403 ? ForbiddenError : InternalError;
    throw new cls(msg);
  }
  if (!res.body) return { url, body: Readable.from([]) };
  return { url, body: Readable.fromWeb(res.body as WebReadableStream<Uint8Array>) };
}
