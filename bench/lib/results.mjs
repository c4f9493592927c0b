// Turns the measurements into the printed report: the table against issue 3's targets, then
// the details behind each figure.
import { fmtMiB, fmtMs, fmtRatio, fmtS, median, printTable, spread } from './report.mjs';

// Issue 3 ("Speed"): dockerd 20.10 and Podman 4.3 measured on the machine the issue was written on.
const ISSUE = {
  runRmVsRunc: 2,
  burstDockerdMs: 9800,
  perContainerMiB: 0.5,
  idleRssMiB: 60,
  execDockerdMs: 114,
  logsDockerdMs: 12800,
};

/**
 * 'yes'/'no' against the reference when one was measured; otherwise against the issue's own
 * dockerd figure, marked '*' because that figure comes from another machine and run.
 */
function judge(value, refValue, factor, issueFigure) {
  if (!Number.isFinite(value)) return '—';
  if (Number.isFinite(refValue)) return value <= factor * refValue ? 'yes' : 'no';
  if (issueFigure === undefined) return '—';
  return value <= factor * issueFigure ? 'yes*' : 'no*';
}

export const LOG_BYTES = 50_000_000;

const cell = (phaseError, value, fmt) => (phaseError ? 'error' : fmt(value));

function rows(ctx) {
  const r = ctx.results;
  const e = ctx.errors;
  const out = [];
  const hasRef = ctx.targets.some((t) => t.key === 'reference');
  const refCell = (v, fmt) => (hasRef ? fmt(v) : 'not given');

  const runRm = r.runRm ?? {};
  const m = (k) => median(runRm[k] ?? []);
  out.push({
    metric: `run --rm --network ${ctx.opts.network} busybox true (median)`,
    berthd: cell(e.runRm, m('berthd'), fmtMs), runc: cell(e.runRm, m('runc'), fmtMs), reference: refCell(m('reference'), fmtMs),
    vsRunc: fmtRatio(m('berthd'), m('runc')), vsRef: fmtRatio(m('berthd'), m('reference')),
    target: '≤ 2× runc (dockerd ≈ 8×, 370 ms)',
    met: Number.isFinite(m('berthd') / m('runc')) ? (m('berthd') / m('runc') <= ISSUE.runRmVsRunc ? 'yes' : 'no') : '—',
  });
  out.push({
    metric: '  docker version: the CLI floor (median)',
    berthd: cell(e.runRm, m('floor:berthd'), fmtMs), runc: '', reference: refCell(m('floor:reference'), fmtMs),
    vsRunc: '', vsRef: fmtRatio(m('floor:berthd'), m('floor:reference')), target: 'information', met: '',
  });

  const burst = r.burst ?? {};
  const bRun = burst.berthd?.runMs;
  const refRun = burst.reference?.runMs;
  out.push({
    metric: `${50} × run -d … sleep 1000, concurrency 10 (total)`,
    berthd: cell(e.burst, bRun, fmtS), runc: '', reference: refCell(refRun, fmtS),
    vsRunc: '', vsRef: fmtRatio(bRun, refRun), target: '≤ ½ reference (dockerd 9.8 s)', met: judge(bRun, refRun, 0.5, ISSUE.burstDockerdMs),
  });
  out.push({
    metric: '  then 50 × rm -f, concurrency 10 (total)',
    berthd: cell(e.burst, burst.berthd?.rmMs, fmtS), runc: '', reference: refCell(burst.reference?.rmMs, fmtS),
    vsRunc: '', vsRef: fmtRatio(burst.berthd?.rmMs, burst.reference?.rmMs), target: 'information', met: '',
  });

  const mem = r.idle?.memory ?? {};
  const perB = mem.berthd?.perContainerKiB;
  const perRef = mem.reference?.perContainerKiB;
  const noted = (v, kib) => `${fmtMiB(kib)}${v?.isGrowthNegative ? '†' : ''}`;
  out.push({
    metric: 'memory per idle container (daemon growth + monitor, PSS)',
    berthd: e.idle ? 'error' : noted(mem.berthd, perB), runc: '', reference: refCell(perRef, (kib) => noted(mem.reference, kib)),
    vsRunc: '', vsRef: fmtRatio(perB, perRef), target: '≤ 0.5 MiB (dockerd 2.7, Podman 0.12)',
    met: Number.isFinite(perB) ? (perB / 1024 <= ISSUE.perContainerMiB ? 'yes' : 'no') : '—',
  });
  const per = (k, f) => (mem[k]?.after ? f(mem[k]) : NaN);
  const monB = per('berthd', (v) => v.monitorPerContainerKiB);
  const monRef = per('reference', (v) => v.monitorPerContainerKiB);
  out.push({
    metric: '  of which the monitor (conmon; shim under dockerd)',
    berthd: e.idle ? 'error' : fmtMiB(monB), runc: '', reference: refCell(monRef, fmtMiB),
    vsRunc: '', vsRef: fmtRatio(monB, monRef), target: 'information', met: '',
  });
  const grB = per('berthd', (v) => v.growthPerContainerKiB);
  const grRef = per('reference', (v) => v.growthPerContainerKiB);
  out.push({
    metric: '  of which daemon growth (Pss_Anon; GC noise ± a few MiB)',
    berthd: e.idle ? 'error' : fmtMiB(grB), runc: '', reference: refCell(grRef, fmtMiB),
    vsRunc: '', vsRef: '', target: 'information', met: '',
  });
  const idleB = ctx.targets[0].idle?.daemonRssKiB;
  const idleRef = ctx.targets[1]?.idle?.daemonRssKiB;
  out.push({
    metric: 'daemon idle RSS (image imported, no container yet)',
    berthd: fmtMiB(idleB), runc: '', reference: refCell(idleRef, fmtMiB),
    vsRunc: '', vsRef: fmtRatio(idleB, idleRef), target: '≤ 60 MiB (dockerd + containerd 151 MiB)',
    met: Number.isFinite(idleB) ? (idleB / 1024 <= ISSUE.idleRssMiB ? 'yes' : 'no') : '—',
  });

  const exec = r.idle?.exec ?? {};
  const execCell = (k) => (e.idle ? 'error' : exec[k]?.unsupported ? 'not supported yet' : fmtMs(median(exec[k] ?? [])));
  const eB = Array.isArray(exec.berthd) ? median(exec.berthd) : NaN;
  const eRef = Array.isArray(exec.reference) ? median(exec.reference) : NaN;
  out.push({
    metric: 'exec <c> true (median)',
    berthd: execCell('berthd'), runc: '', reference: hasRef ? execCell('reference') : 'not given',
    vsRunc: '', vsRef: fmtRatio(eB, eRef), target: '≤ ½ reference (dockerd 114 ms)', met: judge(eB, eRef, 0.5, ISSUE.execDockerdMs),
  });

  const logs = r.logs ?? {};
  // A time for a log that came back short is no figure: "fully readable" is the target's half.
  const isComplete = (k) => logs[k]?.bytes === LOG_BYTES;
  const lB = isComplete('berthd') ? logs.berthd.totalMs : NaN;
  const lRef = isComplete('reference') ? logs.reference.totalMs : NaN;
  const logsCell = (k, v) => (e.logs ? 'error' : logs[k] && !isComplete(k) ? `incomplete (${fmtS(logs[k].totalMs)})` : fmtS(v));
  out.push({
    metric: '50 MB to stdout, then docker logs read it all (total)',
    berthd: logsCell('berthd', lB), runc: '', reference: hasRef ? logsCell('reference', lRef) : 'not given',
    vsRunc: '', vsRef: fmtRatio(lB, lRef), target: '≤ ¼ reference (dockerd 12.8 s)',
    met: logs.berthd && !isComplete('berthd') ? 'no' : judge(lB, lRef, 0.25, ISSUE.logsDockerdMs),
  });
  out.push({
    metric: '  of which docker logs alone',
    berthd: cell(e.logs, logs.berthd?.readMs, fmtS), runc: '', reference: refCell(logs.reference?.readMs, fmtS),
    vsRunc: '', vsRef: fmtRatio(logs.berthd?.readMs, logs.reference?.readMs), target: 'information', met: '',
  });
  return out;
}

function details(ctx) {
  const lines = [];
  const r = ctx.results;
  const say = (s = '') => lines.push(s);
  say(`host: Linux ${ctx.host.kernel}, ${ctx.host.cpus} CPUs, ${ctx.host.memGiB} GiB; load average ${ctx.host.loadStart} at start, ${ctx.host.loadEnd} at end`);
  for (const t of ctx.targets) say(`${t.key}: ${t.host}, server ${t.version}${t.daemonPid ? `, pid ${t.daemonPid}` : ''}`);
  say(`runc: ${ctx.runc.version}; bundle ${ctx.runc.bundle} (runc spec, process "true", own netns without interfaces)`);
  say(`rounds: ${ctx.opts.rounds} counted after one warm-up; order rotated each round`);
  if (r.runRm) {
    say();
    say('run --rm:');
    for (const [k, v] of Object.entries(r.runRm)) say(`  ${k.padEnd(18)} ${spread(v)}`);
  }
  if (r.burst) {
    say();
    for (const [k, v] of Object.entries(r.burst)) say(`burst ${k}: 50 × run -d ${fmtS(v.runMs)} (${fmtMs(v.runMs / 50)} each at concurrency 10), 50 × rm -f ${fmtS(v.rmMs)}`);
  }
  if (r.idle) {
    say();
    for (const [k, v] of Object.entries(r.idle.memory)) {
      if (v.error) { say(`memory ${k}: ${v.error}`); continue; }
      say(`memory ${k}: daemon (${v.after.daemonProcs} process(es)) Pss_Anon ${fmtMiB(v.before.daemonPssAnonKiB)} → ${fmtMiB(v.after.daemonPssAnonKiB)} `
        + `(growth ${fmtMiB(v.growthKiB)}; PSS growth ${fmtMiB(v.growthPssKiB)}, RSS growth ${fmtMiB(v.growthRssKiB)}); `
        + `${v.after.monitorProcs} monitor(s): PSS ${fmtMiB(v.after.monitorsPssKiB)}, RSS ${fmtMiB(v.after.monitorsRssKiB)}; `
        + `per container ${fmtMiB(v.perContainerKiB)}`);
    }
    for (const t of ctx.targets) {
      if (t.idle) say(`idle ${t.key}: RSS ${fmtMiB(t.idle.daemonRssKiB)} (anonymous ${fmtMiB(t.idle.daemonAnonKiB)}), PSS ${fmtMiB(t.idle.daemonPssKiB)} over ${t.idle.daemonProcs} process(es)`);
    }
    for (const [k, v] of Object.entries(r.idle.exec)) say(`exec ${k}: ${Array.isArray(v) ? spread(v) : `not supported yet (${v.unsupported})`}`);
  }
  if (r.logs) {
    say();
    for (const [k, v] of Object.entries(r.logs)) {
      const ok = v.bytes === LOG_BYTES ? `all ${LOG_BYTES} bytes` : `${v.bytes} bytes of ${LOG_BYTES}: INCOMPLETE`;
      say(`logs ${k}: exit ${v.exitCode}; run -d until wait returned ${fmtS(v.writtenMs)}, docker logs ${fmtS(v.readMs)}: ${ok}${v.stderrBytes ? `, ${v.stderrBytes} bytes on stderr` : ''}`);
    }
  }
  for (const [phase, msg] of Object.entries(ctx.errors)) say(`ERROR in ${phase}: ${msg}`);
  return lines.join('\n');
}

export function printReport(ctx) {
  const hasRef = ctx.targets.some((t) => t.key === 'reference');
  const mem = ctx.results.idle?.memory ?? {};
  const notes = [];
  if (!hasRef) notes.push("* no reference given: judged against issue 3's dockerd figure, which was measured on another run.");
  if (Object.values(mem).some((m) => m.isGrowthNegative)) notes.push('† the daemon\'s anonymous memory fell while the containers started (garbage collection): counted as no growth, so the figure is the monitors\' alone.');
  const foot = notes.map((n) => `\n${n}`).join('');
  return `\n${printTable(rows(ctx))}${foot}\n\n${details(ctx)}\n`;
}
