import { EventEmitter } from 'node:events';

export interface WaitResult { StatusCode: number; Error: { Message: string } | null }

/**
 * Who waits on what: `POST /containers/{id}/wait` and the start path's attachers. `exited`
 * fires after every exit is recorded; `removed` after the container is gone; `started` after
 * a start (restart policies included).
 */
export class Waiters {
  private readonly emitter = new EventEmitter();

  constructor() { this.emitter.setMaxListeners(0); }

  exited(id: string, result: WaitResult): void { this.emitter.emit(`exit:${id}`, result); }
  removed(id: string, result: WaitResult): void { this.emitter.emit(`removed:${id}`, result); }
  started(id: string): void { this.emitter.emit(`start:${id}`); }

  /** Resolves at the next exit (or removal) of `id`; `signal` abandons the wait. */
  next(kind: 'exit' | 'removed', id: string, signal?: AbortSignal): Promise<WaitResult> {
    return new Promise((resolve, reject) => {
      const onAbort = () => { cleanup(); reject(signal!.reason); };
      const onResult = (r: WaitResult) => { cleanup(); resolve(r); };
      const cleanup = () => {
        this.emitter.off(`${kind}:${id}`, onResult);
        if (kind === 'exit') this.emitter.off(`removed:${id}`, onResult);
        signal?.removeEventListener('abort', onAbort);
      };
      if (signal?.aborted) { reject(signal.reason); return; }
      this.emitter.on(`${kind}:${id}`, onResult);
      // A container removed while someone waits for its exit ends that wait too.
      if (kind === 'exit') this.emitter.on(`removed:${id}`, onResult);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  onStarted(id: string, fn: () => void): () => void {
    this.emitter.on(`start:${id}`, fn);
    return () => this.emitter.off(`start:${id}`, fn);
  }
}
