/**
 * The live feed: one WebSocket to `/api/live`, reconnected with exponential backoff + jitter.
 * Push only — no polling. Consumers get messages and a connection state they can show
 * ("live" / "reconnecting"); after a reconnect they should refetch, since frames may have been missed.
 */
import type { LiveMessage } from '../../../shared/contract.ts';

export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 15_000 };

/** Delay before reconnect attempt `attempt` (0-based): base·2^attempt capped at max, with ±25 % jitter. */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, rand: () => number = Math.random): number {
  const raw = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  const jitter = raw * 0.25 * (rand() * 2 - 1);
  return Math.max(0, Math.round(raw + jitter));
}

/**
 * Every message type the daemon sends. A `Record` over the contract's union, so a type added to
 * LiveMessage does not compile until it is listed here (an unlisted type was silently dropped before).
 */
const LIVE_TYPES: Record<LiveMessage['type'], true> = { hello: true, request: true, import: true, limits: true, alert: true };

export function parseLiveMessage(data: unknown): LiveMessage | null {
  if (typeof data !== 'string') return null;
  try {
    const msg = JSON.parse(data) as { type?: unknown } | null;
    if (msg && typeof msg.type === 'string' && Object.hasOwn(LIVE_TYPES, msg.type)) return msg as LiveMessage;
  } catch {
    /* ignore malformed frames */
  }
  return null;
}

export interface LiveOptions {
  /** Resolved before every (re)connect, so a restarted daemon's new port/token is picked up. */
  url: () => Promise<string> | string;
  onMessage: (msg: LiveMessage) => void;
  onState?: (state: LiveState, info: { attempt: number; nextRetryMs?: number }) => void;
  /** Called on every successful open; `reconnected` is true after the first. */
  onOpen?: (reconnected: boolean) => void;
  backoff?: BackoffOptions;
  WebSocketImpl?: typeof WebSocket;
}

export class LiveConnection {
  readonly #opts: LiveOptions;
  #ws: WebSocket | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #attempt = 0;
  #everOpened = false;
  #stopped = true;
  #state: LiveState = 'closed';

  constructor(opts: LiveOptions) {
    this.#opts = opts;
  }

  get state(): LiveState {
    return this.#state;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#setState('connecting');
    void this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    this.#dropSocket();
    this.#setState('closed');
  }

  /** Cancels a pending reconnect and closes the current socket without hearing from it again. */
  #dropSocket(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const ws = this.#ws;
    this.#ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close();
    } catch {
      /* already closed */
    }
  }

  /** Drop the current socket and reconnect now (e.g. after the daemon restarted). */
  reconnectNow(): void {
    if (this.#stopped) return;
    this.#dropSocket();
    this.#attempt = 0;
    this.#setState(this.#everOpened ? 'reconnecting' : 'connecting');
    void this.#connect();
  }

  #setState(state: LiveState, nextRetryMs?: number): void {
    this.#state = state;
    this.#opts.onState?.(state, { attempt: this.#attempt, nextRetryMs });
  }

  async #connect(): Promise<void> {
    let url: string;
    try {
      url = await this.#opts.url();
    } catch {
      this.#scheduleRetry();
      return;
    }
    if (this.#stopped) return;
    const Impl = this.#opts.WebSocketImpl ?? WebSocket;
    let ws: WebSocket;
    try {
      ws = new Impl(url);
    } catch {
      this.#scheduleRetry();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      const reconnected = this.#everOpened;
      this.#everOpened = true;
      this.#attempt = 0;
      this.#setState('open');
      this.#opts.onOpen?.(reconnected);
    };
    ws.onmessage = (ev: MessageEvent) => {
      const msg = parseLiveMessage(ev.data);
      if (msg) this.#opts.onMessage(msg);
    };
    ws.onerror = () => {
      /* onclose follows and schedules the retry */
    };
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#scheduleRetry();
    };
  }

  #scheduleRetry(): void {
    if (this.#stopped) return;
    const delay = backoffDelay(this.#attempt, this.#opts.backoff);
    this.#attempt += 1;
    this.#setState(this.#everOpened ? 'reconnecting' : 'connecting', delay);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#connect();
    }, delay);
  }
}
