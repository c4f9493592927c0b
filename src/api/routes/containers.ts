import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, NotFoundError } from '../../errors/index.js';
import type { ContainerService, PathStat } from '../../container/index.js';
import { frame, parseDetachKeys, readsFramesAsBytes } from '../../container/index.js';
import { parseEventTime } from '../../events/index.js';
import { parseFilters } from '../../util/index.js';
import { boolParam, checkBody, intParam, readJsonBody, sendJson, sendNoContent } from '../http.js';
import type { Ctx, Router } from '../router.js';
import { versionAtLeast } from '../version.js';

export interface ContainersBackend {
  containers: Pick<ContainerService, 'create' | 'list' | 'inspect' | 'rename' | 'wait' | 'prune' | 'logs' | 'prepareAttach' | 'top' | 'stats' | 'changes' | 'export' | 'commit' | 'update' | 'resize'
    | 'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'unpause' | 'remove' | 'removeLink'
    | 'createExec' | 'inspectExec' | 'getExec' | 'startExec' | 'resizeExec' | 'statPath' | 'getArchive' | 'putArchive'>;
}

function timeoutParam(ctx: Ctx): number | undefined {
  return intParam(ctx.query, 't') ?? intParam(ctx.query, 'timeout');
}

function nsParam(ctx: Ctx, name: string): bigint | undefined {
  const v = ctx.query.get(name);
  if (v === null || v === '' || v === '0') return undefined;
  const t = parseEventTime(v);
  if (t === undefined) throw new InvalidArgumentError(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return BigInt(Math.round(t));
}

export function containerRoutes(r: Router, b: ContainersBackend): void {
  const c = b.containers;
  r.add('POST', '/containers/create', async (ctx) => {
    const name = ctx.query.get('name') ?? undefined;
    sendJson(ctx.res, 201, await c.create(await readJsonBody(ctx.req, 'ContainerCreate'), name || undefined, ctx.query.get('platform') || undefined));
  });
  r.add('GET', '/containers/json', async (ctx) => {
    sendJson(ctx.res, 200, await c.list({ all: boolParam(ctx.query, 'all'), limit: intParam(ctx.query, 'limit'), filters: parseFilters(ctx.query.get('filters')), size: boolParam(ctx.query, 'size') }));
  });
  r.add('POST', '/containers/prune', async (ctx) => sendJson(ctx.res, 200, await c.prune(parseFilters(ctx.query.get('filters')))));
  r.add('GET', '/containers/{id}/json', async (ctx) => sendJson(ctx.res, 200, await c.inspect(ctx.params.id!, { size: boolParam(ctx.query, 'size') })));
  r.add('POST', '/containers/{id}/start', async (ctx) => {
    if (ctx.query.get('detachKeys')) parseDetachKeys(ctx.query.get('detachKeys'));
    await c.start(ctx.params.id!);
    sendNoContent(ctx.res);
  });
  r.add('POST', '/containers/{id}/stop', async (ctx) => {
    await c.stop(ctx.params.id!, { timeoutS: timeoutParam(ctx), signal: ctx.query.get('signal') ?? undefined });
    sendNoContent(ctx.res);
  });
  r.add('POST', '/containers/{id}/restart', async (ctx) => {
    await c.restart(ctx.params.id!, { timeoutS: timeoutParam(ctx), signal: ctx.query.get('signal') ?? undefined });
    sendNoContent(ctx.res);
  });
  r.add('POST', '/containers/{id}/kill', async (ctx) => {
    await c.kill(ctx.params.id!, ctx.query.get('signal') || 'SIGKILL');
    sendNoContent(ctx.res);
  });
  r.add('POST', '/containers/{id}/pause', async (ctx) => { await c.pause(ctx.params.id!); sendNoContent(ctx.res); });
  r.add('POST', '/containers/{id}/unpause', async (ctx) => { await c.unpause(ctx.params.id!); sendNoContent(ctx.res); });
  r.add('POST', '/containers/{id}/rename', async (ctx) => { await c.rename(ctx.params.id!, ctx.query.get('name') ?? ''); sendNoContent(ctx.res); });
  // `docker rm --link /parent/alias` (moby rmLink): the link's name has the parent's in it.
  r.add('DELETE', '/containers/{id}/{link}', async (ctx) => {
    if (!boolParam(ctx.query, 'link')) throw new NotFoundError(`No such container: ${ctx.params.id!}/${ctx.params.link!}`);
    await c.removeLink(`/${ctx.params.id!}/${ctx.params.link!}`);
    sendNoContent(ctx.res);
  });
  r.add('DELETE', '/containers/{id}', async (ctx) => {
    if (boolParam(ctx.query, 'link')) {
      await c.removeLink(`/${ctx.params.id!}`);
      sendNoContent(ctx.res);
      return;
    }
    await c.remove(ctx.params.id!, { force: boolParam(ctx.query, 'force'), removeVolumes: boolParam(ctx.query, 'v') });
    sendNoContent(ctx.res);
  });
  r.add('POST', '/containers/{id}/wait', async (ctx) => {
    const condition = ctx.query.get('condition') ?? 'not-running';
    // An unknown container or condition is a 404/400 before the 200 headers go out.
    await c.inspect(ctx.params.id!);
    const waiting = c.wait(ctx.params.id!, condition, ctx.signal);
    waiting.catch(() => undefined);
    // Headers go out at once: the docker CLI waits for them before it starts the container.
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.flushHeaders();
    try {
      const result = await waiting;
      ctx.res.end(JSON.stringify(result) + '\n');
    } catch (err) {
      if (ctx.signal.aborted) return;
      ctx.res.end(JSON.stringify({ StatusCode: -1, Error: { Message: (err as Error).message } }) + '\n');
    }
  });
  r.add('GET', '/containers/{id}/logs', async (ctx) => {
    const q = ctx.query;
    const { isTty, write } = await c.logs(ctx.params.id!, {
      follow: boolParam(q, 'follow'), stdout: boolParam(q, 'stdout'), stderr: boolParam(q, 'stderr'), timestamps: boolParam(q, 'timestamps'),
      tail: q.get('tail') && q.get('tail') !== 'all' ? intParam(q, 'tail') : undefined,
      sinceNs: nsParam(ctx, 'since'), untilNs: nsParam(ctx, 'until'),
      coalesceFrames: readsFramesAsBytes(ctx.req.headers['user-agent']),
    }, ctx.res, ctx.signal);
    ctx.res.writeHead(200, { 'Content-Type': isTty || !versionAtLeast(ctx.version, '1.42') ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
    ctx.res.flushHeaders();
    await write();
    ctx.res.end();
  });
  r.add('GET', '/containers/{id}/top', async (ctx) => sendJson(ctx.res, 200, await c.top(ctx.params.id!, ctx.query.get('ps_args') ?? '')));
  r.add('GET', '/containers/{id}/changes', async (ctx) => sendJson(ctx.res, 200, await c.changes(ctx.params.id!)));
  r.add('GET', '/containers/{id}/export', async (ctx) => {
    const tar = await c.export(ctx.params.id!);
    ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await pipeline(tar, ctx.res);
  });
  r.add('GET', '/containers/{id}/stats', async (ctx) => {
    const stream = ctx.query.get('stream') === null ? true : boolParam(ctx.query, 'stream');
    const oneShot = boolParam(ctx.query, 'one-shot');
    let prev = (await c.stats(ctx.params.id!, undefined));
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    if (!stream && oneShot) { ctx.res.end(JSON.stringify(prev.json) + '\n'); return; }
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1000).unref());
      if (ctx.signal.aborted) return;
      const next = await c.stats(ctx.params.id!, prev.raw);
      ctx.res.write(JSON.stringify(next.json) + '\n');
      prev = next;
      if (!stream || !next.raw) break;
    }
    ctx.res.end();
  });
  r.add('POST', '/containers/{id}/update', async (ctx) => sendJson(ctx.res, 200, await c.update(ctx.params.id!, await readJsonBody(ctx.req, 'ContainerUpdate'))));
  r.add('POST', '/containers/{id}/resize', async (ctx) => {
    await c.resize(ctx.params.id!, intParam(ctx.query, 'h', 0)!, intParam(ctx.query, 'w', 0)!);
    sendNoContent(ctx.res, 200);
  });
  r.add('POST', '/commit', async (ctx) => {
    const container = ctx.query.get('container');
    if (!container) throw new InvalidArgumentError('container is required');
    const body = await readJsonBody(ctx.req, 'ImageCommit');
    const id = await c.commit(container, {
      repo: ctx.query.get('repo') ?? undefined, tag: ctx.query.get('tag') ?? undefined,
      comment: ctx.query.get('comment') ?? undefined, author: ctx.query.get('author') ?? undefined,
      changes: ctx.query.getAll('changes').flatMap((s) => s.split('\n')).filter((s) => s.trim()),
      pause: ctx.query.get('pause') === null ? true : boolParam(ctx.query, 'pause'),
      ...(body && typeof body === 'object' ? { config: body as Record<string, unknown> } : {}),
    });
    sendJson(ctx.res, 201, { Id: id });
  });
  // `docker cp`: HEAD stats, GET reads a tar, PUT extracts one (moby's archive routes).
  r.add('HEAD', '/containers/{id}/archive', async (ctx) => {
    const stat = await c.statPath(ctx.params.id!, ctx.query.get('path') ?? '');
    ctx.res.writeHead(200, { 'X-Docker-Container-Path-Stat': encodeStat(stat), 'Content-Type': 'application/json' });
    ctx.res.end();
  });
  r.add('GET', '/containers/{id}/archive', async (ctx) => {
    const { stat, tar } = await c.getArchive(ctx.params.id!, ctx.query.get('path') ?? '', ctx.signal);
    ctx.res.writeHead(200, { 'X-Docker-Container-Path-Stat': encodeStat(stat), 'Content-Type': 'application/x-tar' });
    await pipeline(tar, ctx.res, { signal: ctx.signal });
  });
  r.add('PUT', '/containers/{id}/archive', async (ctx) => {
    const q = ctx.query;
    await c.putArchive(ctx.params.id!, q.get('path') ?? '', ctx.req, {
      noOverwriteDirNonDir: boolParam(q, 'noOverwriteDirNonDir'), copyUIDGID: boolParam(q, 'copyUIDGID'), signal: ctx.signal,
    });
    sendNoContent(ctx.res, 200);
  });
  r.add('POST', '/containers/{id}/exec', async (ctx) => {
    sendJson(ctx.res, 201, { Id: await c.createExec(ctx.params.id!, await readJsonBody(ctx.req, 'ContainerExec')) });
  });
  r.add('GET', '/exec/{id}/json', (ctx) => sendJson(ctx.res, 200, c.inspectExec(ctx.params.id!)));
  r.add('POST', '/exec/{id}/resize', async (ctx) => {
    await c.resizeExec(ctx.params.id!, intParam(ctx.query, 'h', 0)!, intParam(ctx.query, 'w', 0)!);
    sendNoContent(ctx.res, 200);
  });
  r.add('POST', '/exec/{id}/start', async (ctx) => {
    const body = (await readJsonBody(ctx.req, 'ExecStart') ?? {}) as { Detach?: boolean; Tty?: boolean; ConsoleSize?: unknown };
    const e = c.getExec(ctx.params.id!);
    if (body.Detach) {
      await c.startExec(e.id, { detach: true, consoleSize: body.ConsoleSize });
      sendNoContent(ctx.res, 200);
      return;
    }
    // The plain (non-upgraded) form can carry output only. The terminal is the create's
    // choice; the body's Tty picks raw or framed output, as in dockerd.
    ctx.res.writeHead(200, { 'Content-Type': execStreamType(body.Tty === true, ctx.version) });
    ctx.res.flushHeaders();
    await c.startExec(e.id, { detach: false, consoleSize: body.ConsoleSize, tty: body.Tty === true }, { input: undefined, output: ctx.res, options: execAttach(e), signal: ctx.signal });
    ctx.res.end();
  });
  r.add('POST', '/containers/{id}/attach', async (ctx) => {
    // Without Upgrade (the plain hijacked form) only output can flow: Node keeps parsing the
    // connection as HTTP, so raw stdin would be read as a next request.
    const att = c.prepareAttach(ctx.params.id!);
    const opts = attachOptions(ctx.query);
    ctx.res.writeHead(200, { 'Content-Type': att.isTty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
    ctx.res.flushHeaders();
    await att.run({ ...opts, stdin: false }, undefined, ctx.res, ctx.signal);
    ctx.res.end();
  });
}

/** The stat header: base64 of its JSON, as moby's setContainerPathStatHeader writes it. */
function encodeStat(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

function execAttach(e: { config: { AttachStdin: boolean; AttachStdout: boolean; AttachStderr: boolean; DetachKeys: string } }) {
  return { stdin: e.config.AttachStdin, stdout: e.config.AttachStdout, stderr: e.config.AttachStderr, stream: true, logs: false, detachKeys: parseDetachKeys(e.config.DetachKeys) };
}

/** `POST /exec/{id}/start` upgraded (what `docker exec` sends): JSON body first, then raw streams. */
export async function upgradeExecStart(b: ContainersBackend, ctx: { params: Record<string, string>; version: string; signal: AbortSignal }, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const length = Number(req.headers['content-length'] ?? 0);
  const bodyBytes = await readExactly(socket, head, length);
  let body: { Detach?: boolean; Tty?: boolean; ConsoleSize?: unknown } = {};
  if (bodyBytes.body.length) {
    try { body = JSON.parse(bodyBytes.body.toString('utf8')) as typeof body; } catch (err) {
      throw new InvalidArgumentError(`invalid JSON in request body: ${(err as Error).message}`);
    }
    checkBody('ExecStart', body);
  }
  const e = b.containers.getExec(ctx.params.id!);
  const isRaw = body.Tty === true;
  const type = execStreamType(isRaw, ctx.version);
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${type}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  if (bodyBytes.rest.length) socket.unshift(bodyBytes.rest);
  try {
    await b.containers.startExec(e.id, { detach: body.Detach === true, consoleSize: body.ConsoleSize, tty: isRaw }, { input: e.config.AttachStdin ? socket : undefined, output: socket, options: execAttach(e), signal: ctx.signal });
  } catch (err) {
    // After the 101 the only channel is the stream: dockerd writes the error there, and the
    // CLI takes the exit code (126/127) from `GET /exec/{id}/json`.
    const msg = Buffer.from(`OCI runtime exec failed: ${(err as Error).message}: unknown\r\n`);
    socket.write(isRaw ? msg : frame(1, msg));
  } finally {
    socket.end();
  }
}

/**
 * An exec's stream type, by the start body's Tty as dockerd's: raw with one, and before API
 * 1.42 always (the framing is the same; only the header changed).
 */
function execStreamType(isRaw: boolean, version: string): string {
  return isRaw || !versionAtLeast(version, '1.42') ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
}

/** The first `n` bytes of a hijacked connection (the request body), and what followed. */
async function readExactly(socket: Duplex, head: Buffer, n: number): Promise<{ body: Buffer; rest: Buffer }> {
  let buf = head;
  while (buf.length < n) {
    const chunk = await new Promise<Buffer | null>((resolve, reject) => {
      const onData = (c: Buffer) => { cleanup(); resolve(c); };
      const onEnd = () => { cleanup(); resolve(null); };
      const onErr = (err: Error) => { cleanup(); reject(err); };
      const cleanup = () => { socket.off('data', onData); socket.off('end', onEnd); socket.off('error', onErr); socket.pause(); };
      socket.on('data', onData); socket.once('end', onEnd); socket.once('error', onErr);
      socket.resume();
    });
    if (chunk === null) break;
    buf = Buffer.concat([buf, chunk]);
  }
  return { body: buf.subarray(0, n), rest: buf.subarray(n) };
}

function attachOptions(q: URLSearchParams) {
  return {
    stdin: boolParam(q, 'stdin'), stdout: boolParam(q, 'stdout'), stderr: boolParam(q, 'stderr'),
    stream: boolParam(q, 'stream'), logs: boolParam(q, 'logs'), detachKeys: parseDetachKeys(q.get('detachKeys')),
  };
}

/**
 * The upgraded attach (`Connection: Upgrade`, `Upgrade: tcp`) the docker CLI and docker-py use:
 * 101, then raw bytes both ways on the socket. Returns false when the request is not one.
 */
export async function upgradeAttach(b: ContainersBackend, ctx: { params: Record<string, string>; query: URLSearchParams; version: string; signal: AbortSignal }, _req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const att = b.containers.prepareAttach(ctx.params.id!);
  const opts = attachOptions(ctx.query);
  const type = att.isTty || !versionAtLeast(ctx.version, '1.42') ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${type}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  if (head.length) socket.unshift(head);
  await att.run(opts, opts.stdin ? socket : undefined, socket, ctx.signal);
  socket.end();
}
