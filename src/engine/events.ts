import { EventEmitter } from 'node:events';

/** What changed, so live views (SSE, CLI follow) re-read the store; the store stays the source of truth. */
export type EngineEvent =
  | { readonly type: 'run'; readonly runId: number; readonly state: string }
  | { readonly type: 'step'; readonly runId: number; readonly stepId: number; readonly state: string }
  | { readonly type: 'log'; readonly runId: number; readonly stepId: number };

export class EngineBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every SSE client subscribes; the default limit of 10 would warn under normal use.
    this.emitter.setMaxListeners(0);
  }

  /** A change made by this server. */
  emit(event: EngineEvent): void {
    this.emitter.emit('event', event);
    this.emitter.emit('local', event);
  }

  /** A change another server on the same database made (from the change feed): seen by subscribers, not sent on. */
  inject(event: EngineEvent): void {
    this.emitter.emit('event', event);
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** Only this server's own changes: what the change feed passes on to the others. */
  subscribeLocal(listener: (event: EngineEvent) => void): () => void {
    this.emitter.on('local', listener);
    return () => this.emitter.off('local', listener);
  }
}
