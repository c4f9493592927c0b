import { EventEmitter } from 'node:events';

/** Docker's events.Message as `/events` sends it. */
export interface EventMessage {
  Type: 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'builder';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  // Deprecated top-level fields that API < 1.52 still carries for container/image events.
  status?: string;
  id?: string;
  from?: string;
}

/** Kept for `since` replay; Docker's events service keeps the last 256 as well. */
const HISTORY_LIMIT = 256;

/**
 * The daemon's event bus: services publish, `/events` subscribers receive. Past events are
 * kept (bounded) so that `since` can replay them.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly history: EventMessage[] = [];

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(type: EventMessage['Type'], action: string, id: string, attributes: Record<string, string> = {}): EventMessage {
    const nowNs = BigInt(Date.now()) * 1_000_000n + process.hrtime.bigint() % 1_000_000n;
    const msg: EventMessage = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    if (type === 'container' || type === 'image') {
      msg.status = action;
      msg.id = id;
      if (attributes.image ?? attributes.name) msg.from = type === 'container' ? attributes.image : attributes.name;
    }
    this.history.push(msg);
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
    this.emitter.emit('event', msg);
    return msg;
  }

  /** Past events with timeNano >= sinceNs, oldest first. */
  since(sinceNs: number): EventMessage[] {
    return this.history.filter((m) => m.timeNano >= sinceNs);
  }

  /** Calls `fn` for each new event until the returned function is called. */
  subscribe(fn: (msg: EventMessage) => void): () => void {
    this.emitter.on('event', fn);
    return () => this.emitter.off('event', fn);
  }

  listenerCount(): number {
    return this.emitter.listenerCount('event');
  }
}

export { matchEvent, checkEventFilters, parseEventTime } from './filter.js';
