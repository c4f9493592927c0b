/**
 * Test support: an in-process fake Engine API on a temporary UNIX socket, so tests drive
 * commands end to end through the real client. Routes are "METHOD /path" with `*` for a
 * path segment run; the /v1.xx prefix is stripped before matching. Every request is
 * recorded with its body. Not used outside tests.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../index.js';

export interface Recorded {
  method: string;
  path: string;
  version: string | undefined;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Handler = (req: Recorded, res: http.ServerResponse) => void | Promise<void>;

/**
 * An upgraded request (attach): the handler writes the 101 itself (see `acceptUpgrade`) and
 * then owns the raw socket.
 */
export type UpgradeHandler = (req: Recorded, socket: Duplex) => void | Promise<void>;

/** Answers an upgrade as berthd and dockerd do: 101, then raw bytes both ways. */
export function acceptUpgrade(socket: Duplex, contentType = 'application/vnd.docker.multiplexed-stream'): void {
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
}

export interface FakeEngine {
  socket: string;
  host: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function sendError(res: http.ServerResponse, status: number, message: string): void {
  sendJson(res, status, { message });
}

function matcher(route: string): { method: string; re: RegExp } {
  const [method, p] = route.split(' ') as [string, string];
  const re = new RegExp(`^${p.split('*').map((s) => s.replace(/[.?+^$()[\]{}|\\]/g, '\\$&')).join('.+')}$`);
  return { method, re };
}

export async function startFakeEngine(routes: Record<string, Handler>, opts: { apiVersion?: string; upgrades?: Record<string, UpgradeHandler> } = {}): Promise<FakeEngine> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-fake-'));
  const socket = path.join(dir, 'engine.sock');
  const table = Object.entries(routes).map(([k, h]) => ({ ...matcher(k), h }));
  const requests: Recorded[] = [];
  const serve = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(url.pathname);
    const rec: Recorded = {
      method: req.method ?? 'GET', path: decodeURIComponent(m ? m[2]! : url.pathname), version: m?.[1], query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks),
    };
    requests.push(rec);
    res.setHeader('Api-Version', opts.apiVersion ?? '1.50');
    res.setHeader('Ostype', 'linux');
    if (rec.path === '/_ping' && !routes['GET /_ping']) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(rec.method === 'HEAD' ? undefined : 'OK');
      return;
    }
    const route = table.find((r) => r.method === rec.method && r.re.test(rec.path));
    if (!route) return sendError(res, 404, 'page not found');
    await route.h(rec, res);
  };
  // A route that throws is a bug in the test: answer 500 with its message, so the command under
  // test prints it and the test fails saying why.
  const server = http.createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else sendError(res, 500, `fake engine: ${req.method} ${req.url}: ${String(err)}`);
    });
  });
  const upgraded = new Set<Duplex>();
  const upgradeTable = Object.entries(opts.upgrades ?? {}).map(([k, h]) => ({ ...matcher(k), h }));
  server.on('upgrade', (req: http.IncomingMessage, sock: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(url.pathname);
    const rec: Recorded = {
      method: req.method ?? 'GET', path: decodeURIComponent(m ? m[2]! : url.pathname), version: m?.[1], query: url.searchParams, headers: req.headers, body: Buffer.alloc(0),
    };
    requests.push(rec);
    if (head.length) sock.unshift(head);
    upgraded.add(sock);
    sock.on('close', () => upgraded.delete(sock));
    sock.on('error', () => {});
    const route = upgradeTable.find((r) => r.method === rec.method && r.re.test(rec.path));
    if (!route) {
      sock.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 29\r\n\r\n{"message":"page not found"}\n');
      return;
    }
    Promise.resolve(route.h(rec, sock)).catch((err: unknown) => {
      process.stderr.write(`fake engine: upgrade ${rec.method} ${rec.path} failed: ${String(err)}\n`);
      sock.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    host: `unix://${socket}`,
    requests,
    close: async () => {
      // Streaming answers (events) keep their connections open; close them with the server.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const sock of upgraded) sock.destroy();
      await closed;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunResult { code: number; stdout: string; stderr: string; stdoutBytes: Buffer }

export interface RunOpts {
  host?: string;
  stdin?: string | Buffer;
  stdinIsTerminal?: boolean;
  stdoutIsTerminal?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Runs `berth args…` in-process with captured streams. */
export async function runBerth(args: string[], opts: RunOpts = {}): Promise<RunResult> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  stdin.end(opts.stdin ?? '');
  const home = mkdtempSync(path.join(os.tmpdir(), 'berth-home-'));
  try {
    const code = await runCli(args, {
      io: { stdin, stdout, stderr, stdinIsTerminal: opts.stdinIsTerminal ?? false, stdoutIsTerminal: opts.stdoutIsTerminal ?? false },
      env: { HOME: home, ...(opts.host ? { BERTH_HOST: opts.host } : {}), ...opts.env },
    });
    const stdoutBytes = Buffer.concat(out);
    return { code, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
