/**
 * The one HTTP client for the daemon API, used by the popover, the dashboard and the tests.
 * Types come from shared/contract.ts (type-only). Bearer token when the bridge gives one, else the
 * same-origin cookie.
 */
import type {
  BudgetChange,
  CacheCoachReport,
  ResponseCacheStatus,
  StatusResponse,
  BudgetsResponse,
  LimitsResponse,
  HealthResponse,
  ImportStatus,
  ReconcileReport,
  PriceTableInfo,
  RequestDetail,
  RequestPage,
  RequestQuery,
  Summary,
  SummaryRange,
} from '../../../shared/contract.ts';
import { LIVE_SEQ_HEADER } from '../../../shared/contract.ts';
import type { DaemonInfo } from '../../../shared/bridge.ts';
import { localTimeZone } from './timezone.ts';
import { retryAfterMs } from '../../../daemon/api/retry-after.ts';

/** Resolves after `ms`, or rejects with the abort reason when `signal` fires first. */
function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `sessions: false` asks the daemon to skip the per-session list (views that show none). */
export type RangeQuery = ({ range: SummaryRange; tz?: string } | { range: 'custom'; from: number; to: number; tz?: string }) & {
  sessions?: boolean;
  /** Narrow every figure to one Claude Code session. */
  session?: string;
};

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export interface PrimeSpec {
  summaries?: RangeQuery[];
  requests?: RequestQuery[];
  prices?: boolean;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export { localTimeZone } from './timezone.ts';

function summaryParams(q: RangeQuery): Record<string, string | number> {
  const tz = q.tz ?? localTimeZone();
  const base: Record<string, string | number> = q.range === 'custom' ? { range: 'custom', from: q.from, to: q.to, tz } : { range: q.range, tz };
  if (q.sessions === false) base.sessions = '0';
  if (q.session !== undefined) base.session = q.session;
  return base;
}

export class ApiClient {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #fetch: FetchLike;
  /** Responses requested before the UI mounted (see prime*), handed out once to the first matching GET. */
  readonly #primed = new Map<string, Promise<unknown>>();
  /** Primed responses that already arrived, so a view can render them in its very first pass (peek*). */
  readonly #settled = new Map<string, unknown>();
  /** Who hears each answer's live seq (LIVE_SEQ_HEADER); until someone listens, the lowest seen is kept. */
  #seqListener: ((seq: number) => void) | null = null;
  #unheardSeq: number | null = null;

  constructor(info: DaemonInfo, fetchImpl: FetchLike = (i, init) => fetch(i, init)) {
    this.baseUrl = info.baseUrl.replace(/\/+$/, '');
    this.#token = info.token;
    this.#fetch = fetchImpl;
  }

  #noteSeq(header: string | null): void {
    const seq = header === null ? NaN : Number(header);
    if (!Number.isSafeInteger(seq) || seq < 0) return;
    if (this.#seqListener) this.#seqListener(seq);
    else this.#unheardSeq = this.#unheardSeq === null ? seq : Math.min(this.#unheardSeq, seq);
  }

  /**
   * Hear the live feed's record count as of each API answer (the daemon's LIVE_SEQ_HEADER). The lowest count
   * of answers that came before anyone listened (primed requests) is told at once. One listener; returns the
   * unsubscribe.
   */
  onLiveSeq(listener: (seq: number) => void): () => void {
    this.#seqListener = listener;
    if (this.#unheardSeq !== null) {
      const seq = this.#unheardSeq;
      this.#unheardSeq = null;
      listener(seq);
    }
    return () => {
      if (this.#seqListener === listener) this.#seqListener = null;
    };
  }

  /** Bearer token for WS URLs; empty when the cookie authenticates. */
  get hasToken(): boolean {
    return this.#token !== '';
  }

  url(path: string, params?: Record<string, string | number | undefined>): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params ?? {})) {
      if (v !== undefined && v !== '') qs.set(k, String(v));
    }
    const q = qs.toString();
    return `${this.baseUrl}${path}${q ? `?${q}` : ''}`;
  }

  /** A 429 is retried after the daemon's Retry-After, up to this many times, before it reaches the view. */
  static readonly RATE_LIMIT_RETRIES = 3;

  async #get(path: string, params?: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    for (let attempt = 0; ; attempt++) {
      const res = await this.#fetch(this.url(path, params), {
        headers,
        credentials: this.#token ? 'omit' : 'same-origin',
        signal,
      });
      this.#noteSeq(res.headers.get(LIVE_SEQ_HEADER));
      if (res.status !== 429 || attempt >= ApiClient.RATE_LIMIT_RETRIES) return res;
      await res.body?.cancel();
      await wait(retryAfterMs(res.headers.get('retry-after')), signal);
    }
  }

  async #json<T>(path: string, params?: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<T> {
    const key = this.url(path, params);
    const primed = this.#primed.get(key);
    if (primed) {
      this.#primed.delete(key);
      this.#settled.delete(key);
      return primed as Promise<T>;
    }
    return this.#fetchJson<T>(path, params, signal);
  }

  async #fetchJson<T>(path: string, params?: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<T> {
    const res = await this.#get(path, params, signal);
    if (!res.ok) {
      let message = `${res.status} ${res.statusText}`;
      try {
        const body = (await res.json()) as { error?: { message?: string } };
        if (body.error?.message) message = body.error.message;
      } catch {
        /* not JSON */
      }
      throw new ApiError(res.status, message);
    }
    return (await res.json()) as T;
  }

  #prime(path: string, params?: Record<string, string | number | undefined>, ttlMs = 5000): void {
    const key = this.url(path, params);
    if (this.#primed.has(key)) return;
    const p = this.#fetchJson<unknown>(path, params);
    p.then(
      (value) => {
        if (this.#primed.get(key) === p) this.#settled.set(key, value);
      },
      () => {}, // a consumer sees the rejection; an unconsumed one must not be "unhandled"
    );
    this.#primed.set(key, p);
    const t = setTimeout(() => {
      if (this.#primed.get(key) === p) {
        this.#primed.delete(key);
        this.#settled.delete(key);
      }
    }, ttlMs);
    (t as { unref?: () => void }).unref?.();
  }

  /**
   * Start the first requests of a view before React mounts, so network and first render overlap.
   * The first matching `summary()` / `requests()` / `prices()` call within a few seconds gets the response.
   */
  prime(specs: PrimeSpec | PrimeSpec[]): void {
    for (const what of Array.isArray(specs) ? specs : [specs]) {
      for (const q of what.summaries ?? []) this.#prime('/api/summary', summaryParams(q));
      for (const q of what.requests ?? []) this.#prime('/api/requests', { ...q });
      if (what.prices) this.#prime('/api/prices');
    }
  }

  /**
   * A primed response that has already arrived, else undefined. Pure (React may call a state initializer
   * twice): it stays primed, and the first matching call still gets it, resolved to the same object.
   */
  #peek<T>(path: string, params?: Record<string, string | number | undefined>): T | undefined {
    return this.#settled.get(this.url(path, params)) as T | undefined;
  }

  /** The primed summary for `q` if it has arrived: lets a view's first render show it without a round trip. */
  peekSummary(q: RangeQuery): Summary | undefined {
    return this.#peek<Summary>('/api/summary', summaryParams(q));
  }

  /** The primed request page for `q` if it has arrived (see peekSummary). */
  peekRequests(q: RequestQuery = {}): RequestPage | undefined {
    return this.#peek<RequestPage>('/api/requests', { ...q });
  }

  summary(q: RangeQuery, signal?: AbortSignal): Promise<Summary> {
    return this.#json<Summary>('/api/summary', summaryParams(q), signal);
  }

  requests(q: RequestQuery = {}, signal?: AbortSignal): Promise<RequestPage> {
    return this.#json<RequestPage>('/api/requests', { ...q }, signal);
  }

  request(id: string, signal?: AbortSignal): Promise<RequestDetail> {
    return this.#json<RequestDetail>(`/api/requests/${encodeURIComponent(id)}`, undefined, signal);
  }

  prices(signal?: AbortSignal): Promise<PriceTableInfo> {
    return this.#json<PriceTableInfo>('/api/prices', undefined, signal);
  }

  /** The daemon's history import; null when this daemon has none (404). */
  async importStatus(signal?: AbortSignal): Promise<ImportStatus | null> {
    try {
      return await this.#json<ImportStatus>('/api/import', undefined, signal);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }

  /** Proxy against transcripts for a range (GET /api/reconcile). */
  reconcile(q: RangeQuery, signal?: AbortSignal): Promise<ReconcileReport> {
    const { sessions: _, ...rest } = summaryParams(q);
    return this.#json<ReconcileReport>('/api/reconcile', rest, signal);
  }

  /** The prompt-cache coach for a range (GET /api/cache-coach). */
  cacheCoach(q: RangeQuery, signal?: AbortSignal): Promise<CacheCoachReport> {
    const { sessions: _, ...rest } = summaryParams(q);
    return this.#json<CacheCoachReport>('/api/cache-coach', rest, signal);
  }

  /** The response cache's state and counters (GET /api/cache). */
  responseCache(signal?: AbortSignal): Promise<ResponseCacheStatus> {
    return this.#fetchJson<ResponseCacheStatus>('/api/cache', undefined, signal);
  }

  /** The daemon's recording health (GET /api/status; older daemons answer 404: callers treat it as unknown). */
  status(signal?: AbortSignal): Promise<StatusResponse> {
    return this.#fetchJson<StatusResponse>('/api/status', undefined, signal);
  }

  /** Plan limits per credential (older daemons answer 404/502: callers treat a failure as "none"). */
  limits(signal?: AbortSignal): Promise<LimitsResponse> {
    return this.#fetchJson<LimitsResponse>('/api/limits', undefined, signal);
  }

  budgets(signal?: AbortSignal): Promise<BudgetsResponse> {
    return this.#fetchJson<BudgetsResponse>('/api/budgets', undefined, signal);
  }

  /** Sets (usd > 0) or clears (usd 0) a budget; the daemon saves it in config.toml and applies it at once. */
  async setBudget(change: BudgetChange): Promise<BudgetsResponse> {
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const res = await this.#fetch(this.url('/api/budgets'), { method: 'POST', headers, body: JSON.stringify(change), credentials: this.#token ? 'omit' : 'same-origin' });
    const body = (await res.json().catch(() => null)) as (BudgetsResponse & { error?: { message: string } }) | null;
    if (!res.ok) throw new ApiError(res.status, body?.error?.message ?? `HTTP ${res.status}`);
    return body!;
  }

  health(signal?: AbortSignal): Promise<HealthResponse> {
    return this.#json<HealthResponse>('/health', undefined, signal);
  }

  /** Export buttons are shown only when the daemon offers the export endpoints. */
  async exportAvailable(signal?: AbortSignal): Promise<boolean> {
    try {
      const res = await this.#get('/api/export.json', { limit: 1 }, signal);
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  /** Download URL for an export; with a bearer token the caller must fetch it (see `exportBlob`). */
  exportUrl(format: 'csv' | 'json', q: RequestQuery = {}): string {
    return this.url(`/api/export.${format}`, { ...q });
  }

  async exportBlob(format: 'csv' | 'json', q: RequestQuery = {}): Promise<Blob> {
    const res = await this.#get(`/api/export.${format}`, { ...q });
    if (!res.ok) throw new ApiError(res.status, `export failed: ${res.status}`);
    return res.blob();
  }

  /** WebSocket URL of the live feed; the token goes in the query only when no cookie is in play. */
  liveUrl(): string {
    const u = new URL(`${this.baseUrl}/api/live`);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.#token) u.searchParams.set('token', this.#token);
    return u.toString();
  }

  /** Port the daemon listens on, for the "point Claude Code here" line. */
  get port(): string {
    const u = new URL(this.baseUrl);
    return u.port || (u.protocol === 'https:' ? '443' : '80');
  }
}
