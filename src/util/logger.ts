import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stderr (STYLE.md §8); passed to services by constructor. */
export function createLogger(opts: { debug?: boolean; destination?: number } = {}): Logger {
  return pino(
    { level: opts.debug ? 'debug' : 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: opts.destination ?? 2, sync: true }),
  );
}

/** A logger that drops everything, for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
