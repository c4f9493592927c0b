/**
 * Docker's JSON progress messages (pkg/jsonmessage, pkg/progress) as the daemon streams
 * them for pull and push: `{"status","id","progressDetail","progress"}`, byte counters
 * throttled to one message per layer per 100 ms as moby's progressreader does.
 */
export interface ProgressDetail { current?: number; total?: number; start?: number; hidecounts?: boolean; units?: string }

export interface ProgressMessage {
  status?: string;
  id?: string;
  progressDetail?: ProgressDetail;
  progress?: string;
  error?: string;
  errorDetail?: { message: string; code?: number };
  aux?: unknown;
}

export type Emit = (m: ProgressMessage) => void;

/** go-units HumanSize: decimal units, four significant digits ("3.457MB", "525B"). */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** JSONProgress.String() at docker's default width, for clients that print `progress`. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current).padStart(8);
  const pct = Math.min(Math.trunc(Math.trunc((current / total) * 100) / 2), 50);
  const bar = `[${'='.repeat(pct)}>${' '.repeat(Math.max(50 - pct, 0))}]`;
  return `${bar} ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** A status line for one layer ("Pull complete"), or for the whole operation without id. */
export function status(status: string, id?: string): ProgressMessage {
  return id === undefined ? { status } : { status, progressDetail: {}, id };
}

/** Emits byte progress for one id at most every `intervalMs`, plus the final count. */
export class ProgressCounter {
  private current = 0;
  private lastMs = 0;

  constructor(private readonly emit: Emit, private readonly action: string, private readonly id: string, private readonly total: number, private readonly intervalMs = 100) {}

  add(n: number): void {
    this.current += n;
    const now = Date.now();
    if (now - this.lastMs >= this.intervalMs || this.current === this.total) {
      this.lastMs = now;
      this.send();
    }
  }

  /** Resets after a retry from the start. */
  set(n: number): void { this.current = n; }

  private send(): void {
    this.emit({
      status: this.action,
      progressDetail: { current: this.current, total: this.total },
      progress: progressBar(this.current, this.total),
      id: this.id,
    });
  }
}

/** Docker's short layer id: the first 12 hex of the digest. */
export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
