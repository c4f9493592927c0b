import type { Logger } from './logger.js';

/** The part of `process` the handlers attach to; tests pass an EventEmitter. */
export interface ProcessEvents {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', listener: (err: Error, origin: string) => void): unknown;
  off(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  off(event: 'uncaughtException', listener: (err: Error, origin: string) => void): unknown;
}

/**
 * berthd's policy for a rejection nobody handled or an exception nobody caught (issue 11): log
 * it at error with its stack, and keep serving. Node's default would end the daemon, and with
 * it every attach, exec and API client, over one request's bug; containers run on under conmon
 * either way, so a daemon that stays up loses less. A listener also means Node no longer exits
 * by itself, so the log line is the only trace: never silent. Returns the uninstaller.
 */
export function handleUnexpectedErrors(logger: Logger, proc: ProcessEvents = process): () => void {
  const onRejection = (reason: unknown): void => {
    logger.error({ component: 'daemon', err: reason }, 'unhandled promise rejection; berthd keeps serving');
  };
  const onException = (err: Error, origin: string): void => {
    logger.error({ component: 'daemon', err, origin }, 'uncaught exception; berthd keeps serving');
  };
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return () => {
    proc.off('unhandledRejection', onRejection);
    proc.off('uncaughtException', onException);
  };
}
