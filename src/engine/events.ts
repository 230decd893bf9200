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

  emit(event: EngineEvent): void {
    this.emitter.emit('event', event);
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
