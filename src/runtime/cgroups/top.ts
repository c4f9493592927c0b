import { InternalError, InvalidArgumentError } from '../../errors/index.js';
import { exec } from '../../util/index.js';

/** Body of GET /containers/{id}/top. */
export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

const PS_TIMEOUT_MS = 10_000;

/**
 * `docker top`: runs the host's ps with ps_args (default -ef), as dockerd's ContainerTop
 * (daemon/top_unix.go) does, and keeps the rows whose PID is the container's. Wrong ps_args
 * (rejected by the check below or by ps itself, or output with no usable PID column) give an
 * InvalidArgumentError carrying dockerd's message word for word; dockerd sends those as 500,
 * we as 400 because the caller's argument is what is wrong.
 */
export async function topOutput(pids: number[], psArgs: string): Promise<TopResult> {
  const args = psArgs || '-ef';
  validatePsArgs(args);
  // Split on single spaces as dockerd does: "a  b" passes an empty argument, which ps refuses.
  return parsePsOutput(await runPs(args.split(' '), pids), pids);
}

/**
 * dockerd refuses ps_args that rename a column to PID (`-o user=PID`): the row filter would
 * then read the wrong column. Go's \s is ASCII whitespace only, hence the explicit class.
 */
export function validatePsArgs(psArgs: string): void {
  for (const m of psArgs.matchAll(/[\t\n\f\r ]+([^\t\n\f\r ]*)=[\t\n\f\r ]*(PID[^\t\n\f\r ]*)/g)) {
    if (m[1] !== 'pid') throw new InvalidArgumentError(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

/**
 * ps limited to the container's PIDs (-q), and, as dockerd does, the whole process table when
 * that fails: some options (f, -C) refuse -q. Then the first line of ps's complaint.
 */
async function runPs(args: string[], pids: number[]): Promise<string> {
  const opts = { allowFailure: true, timeoutMs: PS_TIMEOUT_MS };
  try {
    const quick = await exec('ps', [...args, `-q${pids.join(',')}`], opts);
    if (quick.code === 0) return quick.stdout.toString('utf8');
    const full = await exec('ps', args, opts);
    if (full.code === 0) return full.stdout.toString('utf8');
    const why = full.stderr.split('\n')[0] || (full.signal ? `signal: ${full.signal}` : `exit status ${full.code}`);
    throw new InvalidArgumentError(`ps: ${why}`);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    throw new InternalError(`ps: ${(err as Error).message}`, { cause: err });
  }
}

/** Go's strings.Fields restricted to ASCII whitespace (dockerd's fieldsASCII). */
function fieldsAscii(s: string): string[] {
  return s.split(/[\t\n\f\r ]+/).filter(Boolean);
}

/**
 * dockerd's parsePSOutput: titles from the header, the PID column found by name, a row kept
 * when its PID is the container's. A row whose PID is "-" is a thread line (ps -m) and follows
 * its process. Extra fields (a command with spaces) are joined into the last column.
 */
export function parsePsOutput(output: string, pids: number[]): TopResult {
  const lines = output.split('\n');
  const titles = fieldsAscii(lines[0] ?? '');
  const pidIndex = titles.indexOf('PID');
  if (pidIndex === -1) throw new InvalidArgumentError("Couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const processes: string[][] = [];
  let inContainer = false; // whether the last process row was kept, for its thread rows
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const fields = fieldsAscii(line);
    const pidField = fields[pidIndex] ?? '';
    if (pidField === '-') {
      if (inContainer) processes.push(mergeOverhang(fields, titles.length));
      continue;
    }
    if (!/^[+-]?\d+$/.test(pidField)) {
      throw new InvalidArgumentError(`Unexpected pid '${pidField}': strconv.Atoi: parsing "${pidField}": invalid syntax`);
    }
    inContainer = wanted.has(Number(pidField));
    if (inContainer) processes.push(mergeOverhang(fields, titles.length));
  }
  return { Titles: titles, Processes: processes };
}

function mergeOverhang(fields: string[], columns: number): string[] {
  return [...fields.slice(0, columns - 1), fields.slice(columns - 1).join(' ')];
}
