/**
 * One full collection of the HTTP thread's heap once the daemon has been quiet for a while after serving.
 *
 * Why: V8 grows a young generation whenever the bytes that survived its scavenges since the last growth exceed
 * its size — express, the HTTP parser, the proxy and the API's answers all count — and only a mark-compact
 * shrinks it again, which V8 runs when the old space fills, not when the thread goes idle. A daemon that
 * answered the dashboard's summaries and pages kept a 12 MB new space (8 right after start) and its garbage
 * until traffic came back. Measured at 1 M rows (docs/design.md, h14-sumheap): after the 105 summaries and
 * 21 pages of bench:store-scale, the main isolate's heapTotal 30.6 → 21.1 MB (new space 12 → 4) and RSS −8 MB.
 *
 * A request (proxied or API, streams included) counts from its arrival until its response closes; the
 * collection runs `quietMs` after the last one closed, only if one came since the last collection, and never
 * while one is in flight, so it cannot delay a response that is being written (~5–15 ms of a full GC at
 * ~20 MB of heap).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { collectGarbage } from './store/gc.ts';

/** Quiet time before the collection: longer than the gaps inside one burst of dashboard calls. */
export const IDLE_COLLECT_MS = 2000;

export class IdleCollector {
  private active = 0;
  /** A request arrived since the last collection. */
  private served = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Collections run so far. */
  collections = 0;

  constructor(
    private readonly quietMs = IDLE_COLLECT_MS,
    private readonly collect: () => boolean = collectGarbage,
  ) {}

  /** A request arrived. */
  begin(): void {
    this.active++;
    this.served = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** A request's response closed (finished or aborted). */
  end(): void {
    this.active = Math.max(0, this.active - 1);
    if (this.active > 0 || this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), this.quietMs);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    if (this.active > 0 || !this.served || this.closed) return;
    this.served = false;
    if (this.collect()) this.collections++;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Counts every request `server` receives (proxied, API, streams) into `collector`, each until its response closes. */
export function watchIdle(server: Server, collector: IdleCollector): void {
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    collector.begin();
    res.once('close', () => collector.end());
  });
  server.once('close', () => collector.close());
}
