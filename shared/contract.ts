/**
 * The one API contract between the daemon and everything that reads it (renderer, CLI, tests).
 * Import with `import type` only: this file holds types and a few constant lists, no runtime logic.
 *
 * Money is always integer nano-USD (1 USD = 1e9 nano-USD). `null` cost means "unpriced" — never $0.
 */

/** Terminal state of one proxied request. */
export type RequestState =
  | 'complete' // response fully received (JSON body, or SSE through message_stop)
  | 'error_event' // SSE stream ended by an `event: error`
  | 'truncated' // upstream body ended cleanly but the SSE stream never reached message_stop
  | 'client_aborted' // the client went away first; upstream request aborted
  | 'upstream_error' // upstream unreachable / reset (before or after headers)
  | 'proxy_error' // CCO itself failed
  | 'refused'; // CCO answered it itself and never forwarded it (a hard budget cap, a paused session): $0, never billable

/**
 * `unpricedReason` of a successful (2xx) Messages response whose usage could not be read: a body that does
 * not decode (invalid gzip), an event stream CCO cannot parse (no blank lines between events), or a message
 * without `usage`. The call was most likely billed, so it is stored billable with an unknown (NULL) cost and
 * counted with the unpriced requests in every total, never silently as $0. `cco reprice` leaves it alone.
 */
export const UNPRICED_USAGE_UNREADABLE = 'usage_unreadable';

/**
 * The `state` filter's extra choice: every request that failed, i.e. an upstream HTTP error (status ≥ 400,
 * whatever the stream state says) or a request that ended in ERROR_STATES.
 */
export const STATE_FILTER_ERRORS = 'errors';
export type RequestStateFilter = RequestState | typeof STATE_FILTER_ERRORS;
/** States that are failures even without an HTTP error status. */
export const ERROR_STATES: readonly RequestState[] = ['error_event', 'upstream_error', 'proxy_error'];

export const REQUEST_STATES: readonly RequestState[] = [
  'complete',
  'error_event',
  'truncated',
  'client_aborted',
  'upstream_error',
  'proxy_error',
  'refused',
];

/** The `usage` object exactly as the Anthropic API sends it (snake_case, all fields optional). */
export interface AnthropicUsage {
  input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: {
    ephemeral_5m_input_tokens?: number | null;
    ephemeral_1h_input_tokens?: number | null;
  } | null;
  output_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
  server_tool_use?: { web_search_requests?: number | null; web_fetch_requests?: number | null } | null;
  service_tier?: string | null;
  inference_geo?: string | null;
  speed?: string | null;
}

/** Token counts per billing category, as stored. 5m + 1h = all cache writes. */
export interface TokenCounts {
  input: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  output: number;
}

export type RecordSource = 'proxy' | 'history';

/** One upstream call as stored and served by /api/requests. Never holds a credential or payload. */
export interface RequestRecord {
  id: string; // ULID
  startedAt: number; // epoch ms
  endedAt: number; // epoch ms
  method: string;
  path: string; // path + query as the client sent it
  status: number | null; // upstream HTTP status (null if never received)
  state: RequestState;
  upstreamRequestId: string | null; // `request-id` response header
  messageId: string | null;
  modelRequested: string | null; // `model` in the request body
  model: string | null; // `model` in the response
  stream: boolean;
  ttfbMs: number | null;
  durationMs: number;
  tokens: TokenCounts;
  thinkingTokens: number;
  webSearchRequests: number;
  serviceTier: string | null;
  speed: string | null;
  inferenceGeo: string | null;
  /** Only calls that can cost money (messages, batches, complete) are billable. */
  billable: boolean;
  costNanoUsd: number | null; // null = unpriced (or not billable and not priced: see billable)
  priceVersion: string | null;
  /** Why a billable request has no cost: the price table's reason, or UNPRICED_USAGE_UNREADABLE. */
  unpricedReason: string | null;
  cacheSavingsNanoUsd: number; // what cache reads saved against full input price (a response-cache hit: its whole would-have-cost)
  sessionId: string | null;
  agentId: string | null;
  parentAgentId: string | null;
  project: string | null;
  client: string | null; // user-agent family, e.g. "claude-cli/2.1.197"
  credentialId: string | null; // short hash of the credential, never the credential
  source: RecordSource;
  /**
   * Answered by CCO's response cache (daemon/cache) without reaching the upstream: cost 0, not billable, no
   * tokens, no upstreamRequestId (the replayed bytes carry the original's), and `cacheSavingsNanoUsd` holds
   * what the call would have cost upstream.
   */
  cacheHit: boolean;
  errorType: string | null;
  /** The git branch Claude Code was on (history import: the transcript's `gitBranch`); null when unknown (the proxy never knows it). */
  gitBranch: string | null;
  /**
   * A subagent's request (Claude Code's `isSidechain`): history import from the transcript; the proxy says true when
   * the request names an agent (`x-claude-code-agent-id`), false for a Claude Code session's main thread, null otherwise.
   */
  isSidechain: boolean | null;
  bytesIn: number; // request body bytes from the client
  bytesOut: number; // response body bytes sent to the client (as on the wire)
  /** Team modes: the user the request belongs to (central gateway: the proxy token's user; federated: `[team] user`). */
  user?: string | null;
  /**
   * Which side saw it, set by /api/requests and /api/requests/:id when the history import runs: 'both' = a
   * Claude Code transcript also shows this proxy request (linked by request id; counted once).
   */
  seenBy?: SeenBy;
}

/** Cost split per category, recomputed on demand for the detail view. */
export interface CostBreakdown {
  input: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  output: number;
  webSearch: number;
}

export interface RequestDetail extends RequestRecord {
  breakdown: CostBreakdown | null;
  multipliers: Record<string, number> | null;
}

export type SummaryRange = 'today' | '7d' | '30d' | 'month' | 'all';
export const SUMMARY_RANGES: readonly SummaryRange[] = ['today', '7d', '30d', 'month', 'all'];

/** Aggregate over a set of requests. */
export interface SpendTotals {
  requests: number;
  /** Sum over priced requests only. */
  costNanoUsd: number;
  /** Billable requests that could not be priced; shown beside every total. */
  unpricedRequests: number;
  /** What cache reads saved, plus what response-cache hits would have cost (their part is `responseCacheSavedNanoUsd`). */
  cacheSavingsNanoUsd: number;
  /** Requests answered by CCO's response cache (counted in `requests` at $0, never billable). */
  responseCacheHits: number;
  /** What those hits would have cost upstream (included in `cacheSavingsNanoUsd`). */
  responseCacheSavedNanoUsd: number;
  tokens: TokenCounts;
}

export interface SpendGroup extends SpendTotals {
  key: string; // model id or project path ("(none)" when unknown)
}

/** A Claude Code session in `Summary.bySession`: its figures in the range, and the session itself. */
export interface SessionGroup extends SpendGroup {
  /** The session's project (its latest request that named one), null when none did. */
  project: string | null;
  /** First request's start and last request's end, epoch ms (the whole session, not clipped to the range). */
  firstAt: number | null;
  lastAt: number | null;
}

/** Failed requests in a summary's range: how many, and which kinds (outcome.ts errorKind: "429", "upstream_error"). */
export interface ErrorCounts {
  requests: number;
  /** Most frequent first. */
  byKind: { kind: string; requests: number }[];
}

export interface SeriesPoint {
  t: string; // ISO start of the bucket
  costNanoUsd: number;
  requests: number;
  byModel: Record<string, number>; // nano-USD per model in this bucket
  byProject: Record<string, number>;
}

export interface Summary {
  range: SummaryRange | 'custom';
  tz: string;
  from: string; // ISO, inclusive
  to: string; // ISO, exclusive
  bucket: 'hour' | 'day';
  totals: SpendTotals;
  byModel: SpendGroup[];
  byProject: SpendGroup[];
  /** Optional: spend per Claude Code session (top sessions in the range). Shown when present. */
  bySession?: SessionGroup[];
  /** Failed requests in the range (counted in `totals.requests` too). */
  errors: ErrorCounts;
  /** Team store (PostgreSQL) only: spend per user ("(none)" = no user). */
  byUser?: SpendGroup[];
  /** Set when the summary was narrowed to one session (`?session=`); every figure is that session's. */
  session?: string;
  series: SeriesPoint[];
}

export interface RequestQuery {
  model?: string;
  project?: string;
  session?: string;
  /** One state, or 'errors' (STATE_FILTER_ERRORS): every failed request. */
  state?: RequestStateFilter;
  /** Team store (PostgreSQL) only: requests of this user. */
  user?: string;
  from?: number; // epoch ms inclusive
  to?: number; // epoch ms exclusive
  cursor?: string;
  limit?: number; // default 50, max 500
  /** Server-side order of /api/requests (default time desc). Unpriced rows come last for `cost` either way. */
  sort?: RequestSort;
  order?: SortOrder;
}

/** `tokens` = input + cache writes (5m + 1h) + cache read + output. */
export const REQUEST_SORTS = ['time', 'cost', 'tokens', 'duration'] as const;
export type RequestSort = (typeof REQUEST_SORTS)[number];
export type SortOrder = 'asc' | 'desc';

export interface RequestPage {
  items: RequestRecord[];
  nextCursor: string | null;
}

export interface HealthResponse {
  status: 'ok';
  uptime: number;
  version: string;
}

/** GET /ready: 200 with ready true when the store can record; 503 with ready false and the reason otherwise. */
export interface ReadyResponse {
  ready: boolean;
  timestamp: string;
  /** Why not ready (the first problem's message); absent when ready. */
  reason?: string;
}

/**
 * What is wrong with the daemon's recording, one entry per problem (GET /api/status `problems`).
 * - `store-opening`: the store is still opening (loading, migrating after an upgrade): requests are forwarded
 *   and their records held on disk (the message says where), stored once it is open; queries answer 503 meanwhile.
 * - `store-standby`: the store cannot be opened or written (full disk, a file in the way): requests are
 *   forwarded but NOT recorded; the daemon keeps retrying and starts recording when it can.
 * - `journal-unwritable`: journal writes fail (records are kept in memory and retried).
 * - `records-dropped`: records were lost (counted in `store.droppedWrites`).
 * - `snapshot-damaged` / `month-damaged`: a damaged file was moved aside (`file` → `movedTo`); the journal's
 *   records were rebuilt, older ones are missing. `month-damaged` months are skipped by queries.
 * - `journal-gap`: the snapshot is missing and the journal starts later than the data it should hold.
 * - `worker-restarted`: the store worker died and was restarted (informational).
 * - `team-unreachable`: federated mode cannot reach the team's PostgreSQL; records are kept on disk and
 *   shipped when it is back (the local store records as usual).
 * - `team-schema-newer`: a newer CCO migrated the team's PostgreSQL while this daemon ran; it writes nothing
 *   there (records are kept on disk) until it is restarted with a CCO that knows that schema.
 */
export type StatusProblemCode =
  | 'store-opening'
  | 'store-standby'
  | 'journal-unwritable'
  | 'records-dropped'
  | 'snapshot-damaged'
  | 'month-damaged'
  | 'journal-gap'
  | 'worker-restarted'
  | 'team-unreachable'
  | 'team-schema-newer';

export interface StatusProblem {
  code: StatusProblemCode;
  /** `error`: recording is off or data was lost; `warning`: degraded but recording. */
  severity: 'warning' | 'error';
  /** One line for a banner or tray tooltip. */
  message: string;
  /** ISO time the problem was first seen. */
  since: string;
  /** The file concerned (a damaged snapshot or month), and where it was moved. */
  file?: string;
  movedTo?: string;
}

/** GET /api/status (token-protected): the daemon's own health, built from the store's stats. */
/**
 * Who is looking at the daemon's surface (GET /api/status `viewer`). `local`: the daemon token of a desktop
 * daemon (loopback, no users); `admin`: the daemon token of a gateway (beyond loopback, or users configured),
 * sees everything; `user`: a per-user token (`cco users add`), sees only that user's records.
 */
export type Viewer = { kind: 'local' } | { kind: 'admin' } | { kind: 'user'; user: string };

export interface StatusResponse {
  /** `ok`: recording normally; `warning`: recording, something to look at; `error`: not recording or data lost. */
  status: 'ok' | 'warning' | 'error';
  /** The first problem's message (the worst first), or null when ok. */
  message: string | null;
  problems: StatusProblem[];
  version: string;
  /** Seconds since the daemon started. */
  uptime: number;
  /** False while recording is paused by the user (requests still forwarded). */
  recordingEnabled: boolean;
  store: {
    kind: 'sqlite' | 'postgres' | 'standby';
    /** The store worker is up (or the database reachable) and the journal writable: what /ready reports. */
    ready: boolean;
    workerUp: boolean;
    journal: {
      writable: boolean;
      bytes: number;
      /** Records written to memory but not yet to the journal (waiting for disk space). */
      pendingRecords: number;
    };
    snapshot: {
      /** ISO time of the last snapshot written (or found at start), null if none yet. */
      lastAt: string | null;
    };
    /** Stored request rows (everyone's: left out for a user token, whose figures are its own). */
    requests?: number;
    droppedWrites: number;
    workerRestarts: number;
    /** Failed disk writes/syncs (journal, snapshot) since start. */
    diskErrors: number;
    partitions: { months: number; open: number; damaged: string[] };
    /** Damaged files moved aside since start or found at start (server paths: empty for a user token). */
    damagedFiles: { file: string; movedTo: string; reason: string; at: string }[];
    lastError: { message: string; at: string } | null;
  };
  /** Federated team mode's shipping state, when `[team] url` is set (as GET /api/team); admin only. */
  team?: TeamStatus;
  /** Who this answer is for (older daemons: absent, read as `local`). */
  viewer?: Viewer;
}

/**
 * GET /api/team (token-protected): federated team mode, i.e. this daemon also ships its records to the team's
 * PostgreSQL (`[team] url`, `user`). `enabled: false` (and the rest empty) when it is not configured.
 */
export interface TeamStatus {
  enabled: boolean;
  /** Where records go, without the password: `user@host:port/db`. */
  target: string | null;
  /** The name records are filed under in the team ledger. */
  user: string | null;
  /** Records in the on-disk outbox not yet committed in PostgreSQL. */
  waiting: number;
  /** Bytes of the outbox on disk. */
  outboxBytes: number;
  /** Records committed in PostgreSQL by this run (new there). */
  shipped: number;
  /** Records sent again that PostgreSQL already had (a re-send after a crash): skipped, not counted twice. */
  duplicates: number;
  /** ISO time of the last batch committed, null if none this run. */
  lastShippedAt: string | null;
  /** The database error while records wait (shipping retries with backoff), else null. */
  lastError: string | null;
  /** Shipping attempts that failed in a row (0 when the database is reachable). */
  failures: number;
  /** ISO time of the first failure of the current run of failures, else null. */
  failingSince: string | null;
  /** Records PostgreSQL refused with a data error (logged, not shipped). */
  refused: number;
  /** Set once the team database's schema is newer than this CCO: nothing more is shipped until a restart. */
  newerSchema?: NewerSchema | null;
}

/**
 * The team database was migrated by a newer CCO (while this daemon ran, or before it connected): this daemon
 * writes nothing there (its records would lack the newer summary layers); its records wait on disk and are
 * shipped once it runs a CCO that knows `database`.
 */
export interface NewerSchema {
  /** The database's schema version. */
  database: number;
  /** The newest schema version this CCO knows. */
  supported: number;
  /** The CCO version that applied the database's newest migration, when recorded. */
  migratedBy: string | null;
  /** ISO time it was first seen. */
  since: string;
}

/** Response header of every /api answer: the live feed's `seq` when the request arrived (see LiveMessage hello). */
export const LIVE_SEQ_HEADER = 'x-cco-live-seq';

/** Messages on WS /api/live (server → client). */
export type LiveMessage =
  /**
   * `seq`: records published on this feed since the daemon started. API answers carry the count at the moment
   * they were asked (header LIVE_SEQ_HEADER), so a client whose data was read at a lower count knows that
   * records finished before its socket opened, and refetches.
   */
  | { type: 'hello'; version: string; serverTime: string; seq: number }
  | { type: 'request'; record: RequestRecord }
  | { type: 'import'; status: ImportStatus }
  /** A credential's limit state changed (throttled); re-read GET /api/limits for the binding window. */
  | { type: 'limits'; limits: CredentialLimits }
  /** An alert fired (the Electron shell shows it as a desktop notification). */
  | { type: 'alert'; alert: CcoAlert };

/** Error body for the daemon's own API (not the proxy, which uses the Anthropic envelope). */
export interface ApiError {
  error: { type: string; message: string };
}

/** GET /api/prices: which price table is in use (the renderer shows version and as-of date). */
export interface PriceTableInfo {
  version: string;
  asOf: string; // ISO date of the prices
  models?: string[]; // model ids the table can price
}

// ─── Claude Code history import and reconciliation (daemon/history) ───────────────────────────────────────

/** Progress of a history import (CLI bar, live feed, dashboard). */
export interface ImportProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  startedAt: number; // epoch ms
  /** Requests stored so far in this run. */
  imported: number;
}

/** Outcome of one import run (`cco import --json`, POST /api/import). Bad input is counted here, never fatal. */
export interface ImportReport {
  roots: string[];
  /** Roots that do not exist (most machines have only some of them). */
  missingRoots: string[];
  files: number;
  /** Files with nothing new since the last run. */
  filesUnchanged: number;
  /** Files read from the start again (truncated or replaced). */
  filesRestarted: number;
  bytesRead: number;
  /** Distinct responses (message id + request id) in the bytes read. */
  responses: number;
  /** Stored as new `source: 'history'` records. */
  imported: number;
  /** Already stored (an earlier run, or a copy of earlier lines in a resumed session). */
  alreadyStored: number;
  /** The same request as a proxy record (transcript `requestId` = proxy `upstreamRequestId`): linked, not stored twice. */
  linked: number;
  /** Responses before `since`. */
  beforeSince: number;
  /** Imported without a price (unknown model…). */
  unpriced: number;
  syntheticLines: number;
  malformedLines: number;
  oversizedLines: number;
  /** Unreadable files or folders and symlink loops: path + errno code (EACCES, ELOOP…) or 'symlink-loop'. */
  problems: { path: string; code: string }[];
  durationMs: number;
}

/** GET /api/import: the daemon's history import (first-start import, then following new lines). */
export interface ImportStatus {
  running: boolean;
  progress: ImportProgress | null;
  /** The last finished run (null before the first). */
  last: ImportReport | null;
  /** The first-start import: requests it stored (the dashboard's "imported N requests" notice); null until it ran. */
  firstImport: { imported: number; finishedAt: number } | null;
  following: boolean;
}

/** Which side saw a request: the proxy, a Claude Code transcript, or both (linked by request id). */
export type SeenBy = 'proxy' | 'history' | 'both';

export interface ReconcileCell {
  requests: number;
  /** Priced cost, nano-USD (the proxy's figure for `both`). */
  costNanoUsd: number;
}

/** Per group: what both sides saw, what only one side saw, and for matched pairs proxy − transcript tokens. */
export interface ReconcileRow {
  both: ReconcileCell;
  proxyOnly: ReconcileCell;
  transcriptOnly: ReconcileCell;
  /** Σ (proxy − transcript) over matched pairs, per category. */
  tokenDiff: TokenCounts;
  /** Matched pairs whose token counts differ in any category. */
  pairsDiffering: number;
}

export interface ReconcileDayModel extends ReconcileRow {
  day: string; // YYYY-MM-DD in tz
  model: string; // "(none)" when unknown
}

export interface ReconcileProject extends ReconcileRow {
  project: string; // "(none)" when unknown
}

export type ProxyOnlyReason = 'title-or-side-call' | 'subagent' | 'other-client' | 'no-transcript-line';

export interface ReconcileReport {
  range: SummaryRange | 'custom';
  tz: string;
  from: string; // ISO, inclusive
  to: string; // ISO, exclusive
  totals: ReconcileRow;
  /** "Is everything I spend going through CCO?": true when no transcript request bypassed the proxy. */
  allThroughProxy: boolean;
  byDayModel: ReconcileDayModel[];
  byProject: ReconcileProject[];
  /**
   * Why the transcripts miss proxy requests: `title-or-side-call` = no project in the request (Claude Code's
   * title/topic calls carry none), or a request of a session whose transcript shows other requests but not
   * this one (the proxy gives side calls their session's project); `subagent` = a subagent's request
   * (x-claude-code-agent-id) without a transcript record, `other-client` = not Claude Code,
   * `no-transcript-line` = the rest (a Claude Code session without any transcript we hold).
   */
  proxyOnlyReasons: (ReconcileCell & { reason: ProxyOnlyReason })[];
  /** Traffic that bypassed the proxy: the sessions (top 50 by cost) and projects it came from. */
  transcriptOnlySessions: (ReconcileCell & { sessionId: string; project: string })[];
}

// ---- Plan limits (anthropic-ratelimit-* response headers) and budgets: see daemon/limits, daemon/budgets ----

/** One window of the unified (subscription) family, e.g. `5h`, `7d`, `7d_sonnet`, `7d_oi`. */
export interface LimitWindow {
  /** Window name as in the header (`anthropic-ratelimit-unified-<name>-utilization`). */
  name: string;
  /** Fraction used, 0..1 (may exceed 1 slightly); null when not reported. */
  utilization: number | null;
  /** Epoch ms when the window resets; null when not reported. */
  resetsAt: number | null;
  /** `allowed` | `allowed_warning` | `rejected` (any other word is kept as sent). */
  status: string | null;
}

/** The `anthropic-ratelimit-unified-*` family (subscription / OAuth traffic). */
export interface UnifiedLimits {
  status: string | null;
  resetsAt: number | null;
  representativeClaim: string | null;
  fallback: string | null;
  /** Fraction 0..1. */
  fallbackPercentage: number | null;
  /** Keyed by window name. */
  windows: Record<string, LimitWindow>;
  /** `overage-*` fields: status, resetsAt (epoch ms), inUse, disabledReason, and any other overage-* word. */
  overage: { status: string | null; resetsAt: number | null; inUse: boolean | null; disabledReason: string | null; other: Record<string, string> };
}

/** One bucket of the standard family, e.g. `anthropic-ratelimit-tokens-{limit,remaining,reset}`. */
export interface StandardLimitBucket {
  limit: number | null;
  remaining: number | null;
  /** Epoch ms. */
  resetsAt: number | null;
}

export const STANDARD_LIMIT_BUCKETS = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;
export type StandardLimitName = (typeof STANDARD_LIMIT_BUCKETS)[number];

/** One utilization sample of one window (kept when the value changes, and at least every few minutes). */
export interface LimitSample {
  t: number; // epoch ms
  u: number; // utilization 0..1
  resetsAt: number | null;
}

/** Burn rate and when the window would be full at that pace. */
export interface LimitForecast {
  window: string;
  /** Utilization per hour at the recent pace; null without enough data. */
  ratePerHour: number | null;
  /** Epoch ms when utilization would reach 1 at that pace, when that comes before the reset; else null. */
  reachesAt: number | null;
  resetsAt: number | null;
  /** USD spent through CCO with this credential since the window began (nano-USD). */
  spendNanoUsd: number;
  confidence: 'none' | 'low' | 'medium' | 'high';
  /** Why confidence is not high, e.g. "2 samples over 4 min". */
  note: string | null;
}

export interface CredentialLimits {
  /** Salted hash of the credential (as in RequestRecord), or "(none)" when the client sent none. */
  credentialId: string;
  /** Epoch ms of the last response carrying rate-limit headers. */
  updatedAt: number;
  unified: UnifiedLimits | null;
  standard: Partial<Record<StandardLimitName, StandardLimitBucket>> | null;
  /** Utilization history per unified window, oldest first. */
  history: Record<string, LimitSample[]>;
  forecasts: LimitForecast[];
}

/** The window closest to its limit across credentials (what the tray and status line show). */
export interface BindingLimit {
  credentialId: string;
  window: string;
  utilization: number;
  resetsAt: number | null;
  status: string | null;
}

/** GET /api/limits */
export interface LimitsResponse {
  now: number;
  credentials: CredentialLimits[];
  binding: BindingLimit | null;
}

export const BUDGET_PERIODS = ['daily', 'weekly', 'monthly'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** A budget rule's `user` for the per-user default (`[budgets.per_user]`): every user, each on their own spend. */
export const EVERY_USER = '*';

/** One USD cap: global (project and user null), for one project path, or for one user (team modes). */
export interface BudgetRule {
  period: BudgetPeriod;
  usd: number;
  project: string | null;
  /**
   * Team modes: the user this cap is for (`[budgets.users."alice"]`), or EVERY_USER for the per-user default
   * (`[budgets.per_user]`, for each user without a cap of their own for that period). Absent/null: not a user budget.
   */
  user?: string | null;
  /** Refuse new billable requests once spent (soft caps only notify). */
  hard: boolean;
}

export interface BudgetStatus extends BudgetRule {
  spentNanoUsd: number;
  /** spent / cap */
  fraction: number;
  state: 'ok' | 'warning' | 'exceeded';
  /** Epoch ms: the current period, in the daemon's time zone. */
  periodStart: number;
  periodEnd: number;
  /** A row of the per-user default for one user (`user` names them; the cap is `[budgets.per_user]`'s). */
  perUser?: boolean;
}

/** GET /api/budgets */
export interface BudgetsResponse {
  tz: string;
  /**
   * Global and project budgets, each user budget, and the per-user default once per user who spent in its
   * current period (`perUser`). Team modes only for users: the central gateway's token users, or the
   * federated `[team] user`.
   */
  budgets: BudgetStatus[];
  /** The configured rules (config.toml), the per-user default (user EVERY_USER) included. */
  rules: BudgetRule[];
  /** Hard caps and session pauses are lifted until this epoch ms (`cco budget override --for 1h`). */
  overrideUntil: number | null;
  /** Sessions paused by the runaway guard (their new requests are refused until the override or a restart). */
  pausedSessions: { sessionId: string; since: number; reason: string }[];
  /**
   * False while the spend totals are being read from the store: for a moment after start, or after the first
   * rule is set on a daemon that started with none (a daemon without rules reads no spend).
   */
  ready: boolean;
}

/** POST /api/budgets body: set (usd > 0) or clear (usd = 0) one budget. */
export interface BudgetChange {
  period: BudgetPeriod;
  usd: number;
  project?: string | null;
  /** A user's budget, or EVERY_USER for the per-user default (not together with `project`). */
  user?: string | null;
  hard?: boolean;
}

export type AlertKind = 'limit-threshold' | 'limit-status' | 'overage' | 'limit-reset' | 'budget' | 'runaway';

/** A notification CCO raised (desktop via the Electron shell, log, optional webhook). */
export interface CcoAlert {
  /** Stable per occurrence (e.g. `limit:<cred>:5h:<reset>:80`): the same crossing never fires twice. */
  key: string;
  /** A budget alert on one user's cap: that user (whose own live feed gets it too, docs/team.md). */
  user?: string;
  kind: AlertKind;
  title: string;
  body: string;
  at: number;
}

/** GET /api/alerts */
export interface AlertsResponse {
  recent: CcoAlert[];
  /** Alerts are muted (no desktop, no webhook; still logged) until this epoch ms. */
  mutedUntil: number | null;
}

// ---- Response cache (daemon/cache) ----

/** GET /api/cache: the opt-in response cache, identical API calls answered from disk byte for byte. */
export interface ResponseCacheStatus {
  /** `[cache] enabled`: used for requests without `x-cco-cache` (with `x-cco-cache: on` it is used anyway). */
  enabled: boolean;
  dir: string;
  maxBytes: number;
  ttlSeconds: number;
  entries: number;
  /** Bytes of the entry files on disk. */
  bytes: number;
  /** The counters below count from here (epoch ms; kept across restarts, reset by `cco cache clear`). */
  since: number;
  lookups: number;
  hits: number;
  misses: number;
  /** Responses written to the cache. */
  stores: number;
  /** hits ÷ lookups (0 when none). */
  hitRate: number;
  /** What the hits would have cost upstream, priced like any request (nano-USD). */
  savedNanoUsd: number;
}

/** POST /api/cache/clear */
export interface ResponseCacheCleared {
  entries: number;
  bytes: number;
}

// ---- Claude Code's 5-hour usage blocks (daemon/blocks): GET /api/blocks, `cco report blocks`, TUI, statusline ----

/** Tokens per minute and USD per hour over a block's requests so far (first to last request). */
export interface BlockBurnRate {
  tokensPerMinute: number;
  costNanoUsdPerHour: number;
}

/**
 * One 5-hour block as ccusage defines it: it starts at the hour (UTC) of its first request and ends 5 h
 * later; a request more than 5 h after the block's start, or more than 5 h after the previous request,
 * starts the next block. Only billable requests count.
 */
export interface UsageBlock {
  start: number; // epoch ms, the first request's hour
  end: number; // start + 5 h
  firstAt: number; // first request
  lastAt: number; // last request
  /** The block now runs: now < end and the last request is less than 5 h old. */
  active: boolean;
  requests: number;
  /** Priced requests only (unpriced ones are counted in unpricedRequests, never as $0). */
  costNanoUsd: number;
  unpricedRequests: number;
  tokens: TokenCounts;
  /** input + cache writes + cache reads + output. */
  totalTokens: number;
  models: string[];
  /** Null when the block's requests span no time (one request). */
  burn: BlockBurnRate | null;
  /** Active block only: where it ends at the current burn rate (cost and tokens at `end`). */
  projection: { costNanoUsd: number; totalTokens: number } | null;
}

/** GET /api/blocks?range=…&tz=…[&from&to] (or `?active=1`: the last 24 h, for the live views). */
export interface BlocksResponse {
  now: number;
  from: string; // ISO, the requests read
  to: string;
  /** Oldest first. */
  blocks: UsageBlock[];
  active: UsageBlock | null;
}

// ---- Prompt-cache coach (daemon/coach): what Anthropic's prompt cache saved, wasted, and what to change ----

/** Prompt-cache figures over a set of requests (response-cache hits are left out: they reached no upstream). */
export interface CoachFigures {
  requests: number;
  /** Uncached input, 5m writes, 1h writes, reads (tokens). */
  tokens: Omit<TokenCounts, 'output'>;
  /** read ÷ (read + uncached input + writes); 0 when there is no input at all. */
  hitRatio: number;
  /** Priced cost of these requests (context for the figures below). */
  costNanoUsd: number;
  /** What cache reads saved against the full input price (Σ `cacheSavingsNanoUsd`). */
  savedNanoUsd: number;
  /** What the cache writes cost. */
  writeNanoUsd: number;
  /**
   * Writes never read before they expired (no read on the same session and model within 5 min of a 5m write,
   * within 1 h of a 1h write): what they cost over the same tokens as plain input.
   */
  wastedNanoUsd: number;
  wasted5mNanoUsd: number;
  wasted1hNanoUsd: number;
  unreadWriteTokens: number;
  /** The requests whose writes were never read (up to 50, newest last). */
  wastedRequestIds: string[];
}

export interface CoachGroup extends CoachFigures {
  key: string; // session id, project path or model ("(none)" when unknown)
}

export type CacheBusterCause = 'model-switch' | 'ttl-expiry' | 'prefix-changes';

/** A run of turns in one session and model where every turn wrote the cache again and none read it. */
export interface CacheBuster {
  sessionId: string;
  project: string | null;
  model: string;
  /** Epoch ms of the run's first turn. */
  startedAt: number;
  turns: number;
  /** What the run's writes cost. */
  writeNanoUsd: number;
  cause: CacheBusterCause;
  /** The probable cause in words, from the data (e.g. "the model changed from … just before"). */
  detail: string;
  requestIds: string[];
}

/** 5m against 1h writes for one session and model, replayed over the gaps between its turns. */
export interface TtlAdvice {
  sessionId: string;
  project: string | null;
  model: string;
  turns: number;
  /** The TTL most of its writes used. */
  current: '5m' | '1h';
  /** What its cache reads and writes (and input) would have cost with every write at 5m / at 1h. */
  cost5mNanoUsd: number;
  cost1hNanoUsd: number;
  /** The cheaper TTL, when it is not the current one. */
  switchTo: '5m' | '1h' | null;
  /** cost(current) − cost(switchTo); 0 when no switch. */
  savingNanoUsd: number;
  /** Gaps between turns: ≤ 5 min, 5 min–1 h, > 1 h. */
  gaps: { under5m: number; under1h: number; over1h: number };
  /** Turns after a 5 min–1 h gap (what a 1h write turns into reads, or what 5m loses). */
  requestIds: string[];
}

/** GET /api/cache-coach?range=…&tz=…[&from&to] */
export interface CacheCoachReport {
  range: SummaryRange | 'custom';
  tz: string;
  from: string; // ISO, inclusive
  to: string; // ISO, exclusive
  totals: CoachFigures;
  /** Top 50 of each, by cost. */
  bySession: CoachGroup[];
  byProject: CoachGroup[];
  byModel: CoachGroup[];
  busters: CacheBuster[];
  /** Sessions where the other TTL would have been cheaper (largest saving first, top 50). */
  ttl: TtlAdvice[];
  /** Σ savingNanoUsd over every session (not only the top 50). */
  ttlSavingNanoUsd: number;
  /** Concrete advice, most money first. */
  advice: { text: string; nanoUsd: number; requestIds: string[] }[];
}
