/**
 * `berth build`'s view on a terminal: the legacy builder's JSON stream (the one docker's
 * classic builder prints line by line) read into steps and shown as BuildKit's terminal
 * view shows a build: a line per step with its time (CACHED, ERROR), and for the running
 * step a live tail of its output and its pull progress, under a `[+] Building 2.3s (4/10)`
 * line redrawn in place. A finished step's line is written once and scrolls as any line;
 * only the last few lines are redrawn, so the view never needs more rows than it has.
 *
 * BuildProgress holds the state and renders it (pure, given a clock); displayBuildProgress
 * drives it from the daemon's stream and writes the frames.
 */
import type { Readable } from 'node:stream';
import { jsonObjects, StreamError } from '../../client/index.js';
import { progressString, type JsonMessage } from './json-message.js';

/** Output lines of the running step shown under it, as BuildKit shows six. */
const TAIL_LINES = 6;
/** Pull progress lines (one per layer) shown under a FROM that pulls. */
const PROGRESS_LINES = 5;
/** Lines of a failed step's output printed with its error. */
const ERROR_LINES = 12;

interface Step {
  label: string;
  start: number;
  end?: number;
  cached: boolean;
  failed: boolean;
  /** Complete output lines, the last ERROR_LINES of them. */
  lines: string[];
  /** Pull progress by layer id, in order of appearance. */
  progress: Map<string, string>;
}

const STEP = /^Step (\d+)\/(\d+) : (.*)$/;
const RESULT = /^ ---> ([0-9a-f]{12,64})$/;
const RUNNING = /^ ---> Running in [0-9a-f]+$/;
const REMOVING = /^Removing intermediate container [0-9a-f]+$/;
const FINAL = /^Successfully (built|tagged) /;

export class BuildProgress {
  private readonly steps: Step[] = [];
  /** Output before the first step (ONBUILD notes, pull notes of a --pull). */
  private readonly preamble: string[] = [];
  /** "Successfully built …" and "Successfully tagged …", printed after the view. */
  readonly finalLines: string[] = [];
  /** Text of the stream not yet ended by a newline. */
  private pending = '';
  private total = 0;
  /** How many steps' lines have been written for good (the rest are in the live frame). */
  private committed = 0;
  /** Rows of the live frame last drawn, to move back over. */
  private drawn = 0;
  private done = false;

  constructor(private readonly startedAt: number, private readonly columns = 80) {}

  /** Reads one message of the daemon's stream; throws its error (after marking the step). */
  feed(m: JsonMessage, now: number): void {
    if (m.errorDetail || m.error) {
      this.flushPending(now);
      const step = this.current();
      if (step) {
        step.failed = true;
        step.end = now;
      }
      throw new StreamError(m.errorDetail?.message ?? m.error ?? '', m.errorDetail?.code);
    }
    if (m.stream !== undefined) {
      this.text(m.stream, now);
      return;
    }
    if (m.status === undefined) return;
    const step = this.current();
    if (m.id && (m.progressDetail || m.progress)) {
      const bar = m.progressDetail ? progressString(m.progressDetail, 0, now) : (m.progress ?? '');
      if (step) step.progress.set(m.id, `${m.id}: ${m.status}${bar ? ` ${bar}` : ''}`);
      return;
    }
    const line = m.id ? `${m.id}: ${m.status}` : m.status;
    if (step && m.id) step.progress.set(m.id, line);
    else this.outputLine(line);
  }

  private current(): Step | undefined {
    const last = this.steps[this.steps.length - 1];
    return last && last.end === undefined ? last : undefined;
  }

  private text(s: string, now: number): void {
    const parts = (this.pending + s).split('\n');
    this.pending = parts.pop() ?? '';
    for (const line of parts) this.line(line, now);
  }

  private flushPending(now: number): void {
    if (this.pending) this.line(this.pending, now);
    this.pending = '';
  }

  private line(raw: string, now: number): void {
    // A line redrawn with carriage returns (apt's, curl's) shows as it last looked.
    const line = raw.slice(raw.lastIndexOf('\r', raw.length - 2) + 1).replace(/\r$/, '');
    const step = STEP.exec(line);
    if (step) {
      const open = this.current();
      if (open) open.end = now;
      this.total = Number(step[2]);
      this.steps.push({ label: `[${step[1]}/${step[2]}] ${step[3]}`, start: now, cached: false, failed: false, lines: [], progress: new Map() });
      return;
    }
    const open = this.current();
    if (open && line === ' ---> Using cache') {
      open.cached = true;
      return;
    }
    if (open && RESULT.test(line)) {
      open.end = now;
      return;
    }
    if (RUNNING.test(line) || REMOVING.test(line)) return;
    if (FINAL.test(line)) {
      this.finalLines.push(line);
      return;
    }
    this.outputLine(line);
  }

  private outputLine(line: string): void {
    const step = this.current() ?? this.steps[this.steps.length - 1];
    const into = step ? step.lines : this.preamble;
    into.push(line);
    if (into.length > ERROR_LINES) into.shift();
  }

  /** The step's line: ` => CACHED [2/9] ENV A=1                      0.0s`, fit to the width. */
  private stepLine(step: Step, now: number): string {
    const secs = `${(((step.end ?? now) - step.start) / 1000).toFixed(1)}s`;
    const mark = step.failed ? 'ERROR ' : step.cached ? 'CACHED ' : '';
    return fit(` => ${mark}${step.label}`, secs, this.columns);
  }

  private header(now: number): string {
    const finished = this.steps.filter((s) => s.end !== undefined && !s.failed).length;
    const secs = ((now - this.startedAt) / 1000).toFixed(1);
    const state = this.done ? (this.steps.some((s) => s.failed) ? ' ERROR' : ' FINISHED') : '';
    return clip(`[+] Building ${secs}s (${finished}/${this.total || this.steps.length})${state}`, this.columns);
  }

  /**
   * What to write now: back over the last live frame, the newly finished steps for good,
   * then the live frame (the header, the running step, its progress and output tail).
   */
  frame(now: number): string {
    let out = this.drawn ? `\x1b[${this.drawn}F\x1b[J` : '';
    if (this.committed === 0 && this.preamble.length && this.steps.length) {
      // Notes before the first step (a --pull's "Pulling from") stay above the steps.
      for (const l of this.preamble.splice(0)) out += `${clip(l, this.columns)}\n`;
    }
    while (this.committed < this.steps.length && this.steps[this.committed]!.end !== undefined) {
      out += `${this.stepLine(this.steps[this.committed]!, now)}\n`;
      this.committed++;
    }
    const live = [this.header(now)];
    const running = this.steps[this.committed];
    if (running && !this.done) {
      live.push(this.stepLine(running, now));
      for (const p of [...running.progress.values()].slice(-PROGRESS_LINES)) live.push(clip(` => => ${p}`, this.columns));
      for (const l of running.lines.slice(-TAIL_LINES)) live.push(clip(` => => # ${l}`, this.columns));
    }
    out += live.map((l) => `${l}\n`).join('');
    this.drawn = live.length;
    return out;
  }

  /**
   * The last frame: every step for good, the header FINISHED (or ERROR), and for a failed
   * step its output as BuildKit prints it, between dashed lines.
   */
  finish(now: number, failed: boolean): string {
    this.flushPending(now);
    for (const s of this.steps) if (s.end === undefined) s.end = now;
    this.done = true;
    let out = this.frame(now);
    this.drawn = 0;
    const bad = failed ? this.steps.find((s) => s.failed) : undefined;
    if (bad) {
      out += '------\n';
      out += ` > ${bad.label}:\n`;
      for (const l of bad.lines) out += `${clip(l, this.columns)}\n`;
      out += '------\n';
    } else if (failed && this.preamble.length) {
      for (const l of this.preamble) out += `${clip(l, this.columns)}\n`;
    }
    return out;
  }
}

/** `left` and `right` on one line of `columns`, `left` cut to make room. */
function fit(left: string, right: string, columns: number): string {
  const room = Math.max(columns - 1 - right.length - 1, 10);
  const l = left.length > room ? `${left.slice(0, room - 3)}...` : left.padEnd(room);
  return `${l} ${right}`;
}

/** A line cut to the terminal's width less one, so it never wraps (wrapping breaks the redraw). */
function clip(s: string, columns: number): string {
  const max = Math.max(columns - 1, 10);
  // Control characters would move the cursor behind the view's back.
   
  const clean = s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  return clean.length > max ? clean.slice(0, max) : clean;
}

export interface BuildProgressOptions {
  write: (text: string) => void | Promise<void>;
  columns?: number;
  onAux?: (aux: unknown) => void;
  /** Redraw period while nothing arrives, for the running step's clock. */
  tickMs?: number;
  now?: () => number;
}

/** Shows the build's stream as the terminal view; rejects with the build's StreamError. */
export async function displayBuildProgress(body: Readable, opts: BuildProgressOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const view = new BuildProgress(now(), opts.columns ?? 80);
  let writing: Promise<void> = Promise.resolve();
  const draw = (text: string): Promise<void> => {
    writing = writing.then(() => opts.write(text));
    return writing;
  };
  const timer = setInterval(() => { void draw(view.frame(now())); }, opts.tickMs ?? 100);
  timer.unref();
  let failure: unknown;
  try {
    for await (const { value } of jsonObjects<JsonMessage>(body)) {
      if (value.aux !== undefined) {
        opts.onAux?.(value.aux);
        continue;
      }
      view.feed(value, now());
      await draw(view.frame(now()));
    }
  } catch (err) {
    failure = err;
  } finally {
    clearInterval(timer);
  }
  await draw(view.finish(now(), failure !== undefined));
  if (failure === undefined) for (const l of view.finalLines) await draw(`${l}\n`);
  if (failure !== undefined) throw failure;
}
