// Medians, units and the printed table.

export function median(values) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** "min / median / max (n)" of millisecond samples, for the details section. */
export function spread(samplesMs) {
  if (samplesMs.length === 0) return 'no samples';
  const s = [...samplesMs].sort((a, b) => a - b);
  return `min ${s[0].toFixed(1)} / median ${median(s).toFixed(1)} / max ${s[s.length - 1].toFixed(1)} ms (n=${s.length})`;
}

export const fmtMs = (ms) => (Number.isFinite(ms) ? (ms >= 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`) : '—');
export const fmtS = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '—');
export const fmtMiB = (kib) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(2)} MiB` : '—');
export const fmtRatio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '—');

/**
 * A cell is a number with a formatter, or a string ("not supported yet", "error", "—").
 * rows: { metric, berthd, runc, reference, vsRunc, vsRef, target, met } already formatted.
 */
export function printTable(rows) {
  const headers = { metric: 'metric', berthd: 'berthd', runc: 'runc', reference: 'reference', vsRunc: 'berthd÷runc', vsRef: 'berthd÷ref', target: 'target (issue 3)', met: 'met?' };
  const keys = Object.keys(headers);
  const all = [headers, ...rows];
  const widths = Object.fromEntries(keys.map((k) => [k, Math.max(...all.map((r) => String(r[k] ?? '').length))]));
  const line = (r) => keys.map((k) => String(r[k] ?? '').padEnd(widths[k])).join(' │ ').trimEnd();
  const rule = keys.map((k) => '─'.repeat(widths[k])).join('─┼─');
  return [line(headers), rule, ...rows.map(line)].join('\n');
}
