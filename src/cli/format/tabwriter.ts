/**
 * A port of Go's text/tabwriter as docker's CLI uses it (padchar ' ', no flags): cells end
 * at '\t'; the text after a line's last tab is not aligned; a column is as wide as its
 * widest cell plus padding (at least minWidth) over the run of consecutive lines that have
 * that column; and a line without tabs ends the table, so what follows is aligned anew.
 * Tables: minWidth 10, padding 3 (formatter.Context); `version`: minWidth 20, padding 1.
 */
import { stringWidth } from './units.js';

interface Cell { text: string; width: number }

export class TabWriter {
  private lines: Cell[][] = [[]];
  private cell = '';
  private out = '';

  constructor(private readonly minWidth: number, private readonly padding: number) {}

  write(text: string): void {
    for (const ch of text) {
      if (ch === '\t' || ch === '\v' || ch === '\n' || ch === '\f') {
        const n = this.terminateCell();
        if (ch === '\n' || ch === '\f') {
          this.lines.push([]);
          if (ch === '\f' || n === 1) this.flushLines();
        }
      } else {
        this.cell += ch;
      }
    }
  }

  /** Formats everything buffered and returns the text written since the last call. */
  flush(): string {
    if (this.cell.length > 0) this.terminateCell();
    this.flushLines();
    const out = this.out;
    this.out = '';
    return out;
  }

  private terminateCell(): number {
    const line = this.lines[this.lines.length - 1]!;
    line.push({ text: this.cell, width: stringWidth(this.cell) });
    this.cell = '';
    return line.length;
  }

  private flushLines(): void {
    this.format(0, this.lines.length, []);
    this.lines = [[]];
  }

  /** Go's Writer.format: widths for the column `widths.length` over each run of lines. */
  private format(line0: number, line1: number, widths: number[]): void {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= this.lines[t]!.length - 1) continue;
      this.writeLines(line0, t, widths);
      line0 = t;
      let width = this.minWidth;
      for (; t < line1; t++) {
        const line = this.lines[t]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + this.padding);
      }
      this.format(line0, t, [...widths, width]);
      line0 = t;
    }
    this.writeLines(line0, line1, widths);
  }

  private writeLines(line0: number, line1: number, widths: number[]): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]!;
      line.forEach((c, j) => {
        this.out += c.text;
        if (j < widths.length) this.out += ' '.repeat(widths[j]! - c.width);
      });
      // The buffer's last line is the one still open: it has no newline yet.
      if (i + 1 < this.lines.length) this.out += '\n';
    }
  }
}

/** Aligns `text` in one go, as docker's table output does. */
export function tabulate(text: string, minWidth = 10, padding = 3): string {
  const w = new TabWriter(minWidth, padding);
  w.write(text);
  return w.flush();
}
