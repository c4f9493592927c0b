import { rm } from 'node:fs/promises';
import path from 'node:path';
import { exec, waitFor } from '../../src/util/index.js';

/**
 * A real terminal for a CLI under test: a tmux server on its own socket (`-L`), one window
 * per `run()`. Each program runs in `sh -c '<cmd>; echo "[exit $?]"; exec cat'` so its exit
 * code shows in the pane and the pane stays for `capture()`. Call `kill()` in cleanup: it
 * ends the server and everything in it.
 */
export class Tmux {
  private windows = 0;

  private constructor(readonly socket: string, private readonly env: Record<string, string>) {}

  /** Starts the server with a first, idle window (tmux needs a session to exist). */
  static async start(socket: string, env: Record<string, string>, size = { cols: 80, rows: 24 }): Promise<Tmux> {
    const t = new Tmux(socket, env);
    await t.tmux(['-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', String(size.cols), '-y', String(size.rows), 'cat']);
    // No `set -g window-size manual`: tmux 3.3a crashes on the next new-window with it;
    // resize-window sets it for the one window it sizes.
    return t;
  }

  private tmux(args: string[]): Promise<{ stdout: Buffer }> {
    return exec('tmux', ['-L', this.socket, ...args], { timeoutMs: 10_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...this.env } });
  }

  /** Runs `argv` in a new window of `cols`x`rows`; returns the window's target. */
  async run(argv: string[], size = { cols: 80, rows: 24 }): Promise<string> {
    const name = `w${++this.windows}`;
    const envPrefix = Object.entries(this.env).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
    const cmd = `env ${envPrefix} ${argv.map(shellQuote).join(' ')}; echo "[exit $?]"; exec cat`;
    await this.tmux(['new-window', '-d', '-t', 'main', '-n', name, 'sh', '-c', cmd]);
    const target = `main:${name}`;
    await this.resize(target, size.cols, size.rows);
    return target;
  }

  /** Keys as tmux names them (`Enter`, `C-c`, `C-p`); `literal` sends text as typed. */
  async keys(target: string, ...keys: string[]): Promise<void> {
    await this.tmux(['send-keys', '-t', target, ...keys]);
  }

  async type(target: string, text: string): Promise<void> {
    await this.tmux(['send-keys', '-t', target, '-l', text]);
  }

  /** Types a line and Enter. */
  async line(target: string, text: string): Promise<void> {
    await this.type(target, text);
    await this.keys(target, 'Enter');
  }

  async capture(target: string): Promise<string> {
    return (await this.tmux(['capture-pane', '-p', '-J', '-S', '-200', '-t', target])).stdout.toString('utf8');
  }

  /** Polls the pane until `re` matches; fails with what the pane last showed. */
  async waitFor(target: string, re: RegExp, timeoutMs = 15_000): Promise<string> {
    return waitFor(`pane ${target} to show ${re}`, async () => {
      const text = await this.capture(target);
      if (re.test(text)) return text;
      throw new Error(`pane shows:\n${text.replace(/\n+$/, '')}`);
    }, { timeoutMs, intervalMs: 50 });
  }

  /** Resizes the window: the CLI in it gets SIGWINCH. */
  async resize(target: string, cols: number, rows: number): Promise<void> {
    await this.tmux(['resize-window', '-t', target, '-x', String(cols), '-y', String(rows)]);
  }

  async kill(): Promise<void> {
    await exec('tmux', ['-L', this.socket, 'kill-server'], { timeoutMs: 10_000, allowFailure: true });
    // A killed server leaves its socket file behind.
    const uid = process.getuid?.() ?? 0;
    await rm(path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${uid}`, this.socket), { force: true });
  }
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
