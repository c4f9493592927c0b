/**
 * What a command runs with: the streams, the environment, the client configuration and
 * an Engine API client created on first use (so `berth --help` or a usage error never
 * touches the daemon). Tests build one around PassThrough streams.
 */
import type { Readable, Writable } from 'node:stream';
import { EngineClient, parseHost, type ClientTls } from '../client/index.js';
import type { ClientConfig } from './config-file.js';
import { loadClientTls, resolveEndpoint, type Endpoint, type EndpointFlags } from './endpoint.js';
import { BERTH_VERSION } from './version-info.js';

export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  stdinIsTerminal: boolean;
  stdoutIsTerminal: boolean;
  /** The terminal's width, when stdout is one. */
  columns?: number;
}

export interface CliOptions {
  io: CliIO;
  env: NodeJS.ProcessEnv;
  config: ClientConfig;
  hosts: string[];
  /** --context and the TLS flags; -H is `hosts`. */
  endpointFlags?: Omit<EndpointFlags, 'hosts'>;
  debug: boolean;
  signal: AbortSignal;
}

export class Cli {
  readonly io: CliIO;
  readonly env: NodeJS.ProcessEnv;
  readonly config: ClientConfig;
  readonly debug: boolean;
  readonly signal: AbortSignal;
  private readonly endpointFlags: EndpointFlags;
  private resolved: { endpoint: Endpoint; tls?: ClientTls } | undefined;
  private engine: EngineClient | undefined;

  constructor(opts: CliOptions) {
    this.io = opts.io;
    this.env = opts.env;
    this.config = opts.config;
    this.endpointFlags = { ...opts.endpointFlags, hosts: opts.hosts };
    this.debug = opts.debug;
    this.signal = opts.signal;
  }

  /** The daemon's address as given (for messages). */
  get host(): string {
    return this.endpoint().endpoint.host;
  }

  /** The context, host and TLS files in use, read once. */
  private endpoint(): { endpoint: Endpoint; tls?: ClientTls } {
    if (!this.resolved) {
      const endpoint = resolveEndpoint(this.endpointFlags, this.env, this.config);
      this.resolved = { endpoint, tls: endpoint.tls ? loadClientTls(endpoint.tls) : undefined };
    }
    return this.resolved;
  }

  /**
   * Checks the context, -H/BERTH_HOST/DOCKER_HOST and the TLS files before a command runs,
   * failing as docker's Initialize does.
   */
  checkHost(): void {
    try {
      const { endpoint, tls } = this.endpoint();
      parseHost(endpoint.host, tls !== undefined);
    } catch (e) {
      const message = (e as Error).message;
      if (message.startsWith('conflicting options')) throw e;
      throw new Error(`Failed to initialize: unable to resolve berth endpoint: ${message}`);
    }
  }

  get client(): EngineClient {
    if (!this.engine) {
      this.engine = new EngineClient({
        host: this.host,
        tls: this.endpoint().tls,
        apiVersion: this.env.BERTH_API_VERSION || this.env.DOCKER_API_VERSION || undefined,
        userAgent: `berth-cli/${BERTH_VERSION}`,
        debug: this.debug ? (line) => this.err(`DEBU[0000] ${line}\n`) : undefined,
      });
    }
    return this.engine;
  }

  /** Writes to stdout, waiting for the stream to drain when it asks to. */
  async out(text: string): Promise<void> {
    if (text === '') return;
    if (this.io.stdout.write(text)) return;
    const stdout = this.io.stdout;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        stdout.off('drain', done);
        stdout.off('error', done);
        if (err) reject(err);
        else resolve();
      };
      stdout.on('drain', done);
      stdout.on('error', done);
    });
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }
}
