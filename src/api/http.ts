import type { IncomingMessage, ServerResponse } from 'node:http';
import { EngineError, InvalidArgumentError } from '../errors/index.js';
import type { Logger } from '../util/index.js';
import { BodyChecker, type BodyName } from './body-check.js';

/**
 * dockerd decodes JSON bodies without a limit of its own; this bound only keeps one request
 * from taking the daemon's memory, far above any client's (a 20 MB create body passes).
 */
const MAX_JSON_BODY_BYTES = 64 * 1024 * 1024;

let bodyChecker: BodyChecker | undefined;

/**
 * Compiles the request bodies' schemas: createApi calls it once at start-up, so no request
 * pays for it (in-process route tests get it on their first body instead).
 */
export function prepareBodyChecks(): void {
  bodyChecker ??= new BodyChecker();
}

/** A body's types checked against the Engine API's definition of `name` (a 400 in Go's words when wrong). */
export function checkBody(name: BodyName, body: unknown): void {
  prepareBodyChecks();
  bodyChecker!.check(name, body);
}

/**
 * Reads and parses a JSON body; an empty body is `undefined`; malformed JSON is a 400. With
 * `name`, its types are checked against that Engine API definition before any use.
 */
export async function readJsonBody(req: IncomingMessage, name?: BodyName): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY_BYTES) throw new InvalidArgumentError(`request body is larger than ${MAX_JSON_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  let body: unknown;
  try { body = JSON.parse(text); } catch (err) {
    throw new InvalidArgumentError(`invalid JSON in request body: ${(err as Error).message}`, { cause: err });
  }
  if (name) checkBody(name, body);
  return body;
}

/** Docker's boolValue: absent, "", "0", "no", "false", "none" are false; anything else is true. */
export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  return !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
}

/** An integer query parameter; a non-integer is a 400 naming it. */
export function intParam(q: URLSearchParams, name: string, dflt?: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`invalid value for ${name}: ${JSON.stringify(v)} is not an integer`);
  return Number(v);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendNoContent(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

/** Starts a JSON-lines stream (pull/load/build progress, events). */
export function startJsonStream(res: ServerResponse): (msg: unknown) => void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  return (msg) => { res.write(JSON.stringify(msg) + '\n'); };
}

/**
 * The one place an error becomes a response: its class decides the status; the message is
 * the client's to show. Unknown errors are 500 and logged with their stack. When the
 * response has begun (a stream), the error goes into the stream as Docker does.
 */
export function sendError(res: ServerResponse, err: unknown, logger: Logger, requestId: string): void {
  const status = err instanceof EngineError ? err.status : 500;
  const message = err instanceof Error ? err.message : String(err);
  if (status >= 500) logger.error({ component: 'api', requestId, err }, 'request failed');
  else logger.debug({ component: 'api', requestId, status, message }, 'request refused');
  if (res.headersSent) {
    if (!res.writableEnded) res.end(JSON.stringify({ errorDetail: { message }, error: message }) + '\n');
    return;
  }
  if (status === 304) { res.writeHead(304); res.end(); return; }
  sendJson(res, status, { message });
}
