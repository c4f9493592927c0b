/**
 * One layer from the registry into the content store: the compressed bytes are hashed as
 * they arrive (and checked against the manifest's digest before anything is committed),
 * decompressed on the way and stored under their diffId. A connection that drops is resumed
 * with a Range request after a back-off; a registry that ignores Range is read again from the
 * start and the bytes already seen are skipped.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { InvalidArgumentError } from '../errors/index.js';
import { isNetworkError, RegistryResponseError } from './errors.js';
import type { Descriptor } from './manifest.js';
import { ProgressCounter, shortId, status, type Emit } from './progress.js';
import type { RepositoryClient } from './repository.js';
import type { PartialDownloads } from './partial.js';

export interface RetryPolicy { attempts: number; delaysMs: number[] }

/** Docker retries a layer five times; berth backs off 1, 2, 4, 8 s (docker: 5, 10, 15, 20). */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, delaysMs: [1000, 2000, 4000, 8000] };

export class LayerVerificationError extends InvalidArgumentError {}

function isRetryable(err: unknown): boolean {
  if (err instanceof RegistryResponseError) return err.isRetryable;
  return isNetworkError(err) || (err as { code?: string }).code === 'ERR_PREMATURE_BODY';
}

/** Runs a small idempotent request again after a network error, 429 or 5xx, with back-off. */
export async function withRetry<T>(fn: () => Promise<T>, retry: RetryPolicy, signal?: AbortSignal): Promise<T> {
  for (let failures = 0; ; ) {
    try {
      return await fn();
    } catch (err) {
      signal?.throwIfAborted();
      if (!isRetryable(err) || ++failures >= retry.attempts) throw err;
      await delay(retry.delaysMs[Math.min(failures - 1, retry.delaysMs.length - 1)] ?? 1000, undefined, { signal });
    }
  }
}

/**
 * The blob's bytes, resumed across dropped connections, verified against `desc.digest` at the
 * end. With `partials`, the bytes are also kept on disk as they come, and a blob an earlier
 * pull did not finish starts from what that pull kept (re-read and re-hashed from the start).
 * With `adopt` too, the verified file is handed to it (the content store renames it into
 * place) before the stream ends, instead of being removed.
 */
export function blobStream(repo: RepositoryClient, desc: Descriptor, emit: Emit, retry: RetryPolicy, signal?: AbortSignal, partials?: PartialDownloads, adopt?: (file: string) => Promise<void>): Readable {
  const id = shortId(desc.digest);
  const counter = new ProgressCounter(emit, 'Downloading', id, desc.size);
  const hasher = createHash('sha256');
  async function* chunks(): AsyncGenerator<Buffer> {
    let offset = 0;
    let failures = 0;
    const partial = partials ? await partials.open(desc.digest, desc.size) : undefined;
    let verified = false;
    let verifiedOk = false;
    // Checked before the blob's last bytes go on: a corrupt layer then fails as a digest
    // mismatch, never as whatever gunzip makes of a bad trailer (a race it would win).
    const verify = (): void => {
      emit(status('Verifying Checksum', id));
      const actual = `sha256:${hasher.digest('hex')}`;
      verified = true;
      if (actual !== desc.digest || (desc.size > 0 && offset !== desc.size)) {
        throw new LayerVerificationError(`filesystem layer verification failed for digest ${desc.digest}`);
      }
      verifiedOk = true;
    };
    try {
      if (partial && partial.kept > 0) {
        for await (const c of partial.read()) {
          offset += c.length;
          hasher.update(c);
          counter.add(c.length);
          yield c;
        }
      }
      for (;;) {
        if (desc.size > 0 && offset >= desc.size) break;
        try {
          const res = await repo.openBlob(desc.digest, offset);
          let skip = res.status === 200 ? offset : 0;
          for await (const raw of res.body) {
            let c = raw as Buffer;
            if (skip > 0) {
              const n = Math.min(skip, c.length);
              skip -= n;
              c = c.subarray(n);
              if (c.length === 0) continue;
            }
            offset += c.length;
            hasher.update(c);
            await partial?.append(c);
            counter.add(c.length);
            failures = 0;
            if (desc.size > 0 && offset >= desc.size) verify();
            yield c;
          }
          if (desc.size > 0 && offset < desc.size) {
            throw Object.assign(new Error(`unexpected EOF after ${offset} of ${desc.size} bytes`), { code: 'ERR_PREMATURE_BODY' });
          }
          break;
        } catch (err) {
          signal?.throwIfAborted();
          if (!isRetryable(err) || ++failures >= retry.attempts) throw err;
          const waitMs = retry.delaysMs[Math.min(failures - 1, retry.delaysMs.length - 1)] ?? 1000;
          emit(status(`Retrying in ${Math.max(1, Math.round(waitMs / 1000))} second${waitMs > 1000 ? 's' : ''}`, id));
          await delay(waitMs, undefined, { signal });
        }
      }
      if (!verified) verify();
    } finally {
      // Complete and right bytes become the blob when the caller adopts them (ADR 0022: the
      // compressed bytes are written once); wrong ones are not kept; an interrupted download's are.
      if (verified && adopt && partial && verifiedOk) await partial.handOver(adopt);
      else if (verified) await partial?.remove();
      else await partial?.keep();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** Docker's words for a layer whose bytes do not fit its digests. */
export function ingestError(err: unknown, desc: Descriptor, diffId: string): unknown {
  if (err instanceof LayerVerificationError) return err;
  if (err instanceof InvalidArgumentError && /digest mismatch|diffId mismatch/.test(err.message)) {
    return new LayerVerificationError(`filesystem layer verification failed for digest ${desc.digest}: its content does not match the diffID ${diffId} in the image config`, { cause: err });
  }
  if (err instanceof Error && !(err instanceof InvalidArgumentError) && /incorrect header|invalid|unexpected end of file|zlib/i.test(err.message)) {
    return new LayerVerificationError(`failed to register layer: ${err.message}`, { cause: err });
  }
  return err;
}

export { coalesce, tee } from '../image/index.js';
