/** Static data the fake serves: known models, the anthropic-beta allow-list, error wording (§1.5). */

export interface ModelInfo {
  id: string;
  displayName: string;
  createdAt: string;
  maxInputTokens: number;
  maxTokens: number;
  fast: boolean; // accepts speed:"fast"
  geo: boolean; // honours inference_geo:"us"
}

function m(id: string, displayName: string, createdAt: string, extra: Partial<ModelInfo> = {}): ModelInfo {
  return { id, displayName, createdAt: `${createdAt}T00:00:00Z`, maxInputTokens: 1_000_000, maxTokens: 64_000, fast: false, geo: false, ...extra };
}

/** Every priced model id (daemon/pricing/prices.ts), newest first (the order of GET /v1/models). */
export const MODELS: readonly ModelInfo[] = [
  m('claude-fable-5-2', 'Claude Fable 5.2', '2026-11-09', { maxTokens: 128_000, fast: true, geo: true }),
  m('claude-haiku-5-5', 'Claude Haiku 5.5', '2026-10-07'),
  m('claude-sonnet-5-5', 'Claude Sonnet 5.5', '2026-10-07', { geo: true }),
  m('claude-opus-5-5', 'Claude Opus 5.5', '2026-09-22', { maxTokens: 128_000, fast: true, geo: true }),
  m('claude-fable-5-1', 'Claude Fable 5.1', '2026-09-01', { maxTokens: 128_000, geo: true }),
  m('claude-mythos-5-1', 'Claude Mythos 5.1', '2026-09-01', { maxTokens: 128_000, geo: true }),
  m('claude-opus-5', 'Claude Opus 5', '2026-07-24', { maxTokens: 128_000, fast: true, geo: true }),
  m('claude-sonnet-5', 'Claude Sonnet 5', '2026-06-30', { geo: true }),
  m('claude-fable-5', 'Claude Fable 5', '2026-06-09', { maxTokens: 128_000, geo: true }),
  m('claude-mythos-5', 'Claude Mythos 5', '2026-06-09', { maxTokens: 128_000, geo: true }),
  m('claude-mythos-preview', 'Claude Mythos Preview', '2026-06-01', { maxTokens: 128_000, geo: true }),
  m('claude-opus-4-8', 'Claude Opus 4.8', '2026-05-14', { maxTokens: 128_000, fast: true, geo: true }),
  m('claude-opus-4-7', 'Claude Opus 4.7', '2026-04-02', { maxTokens: 128_000, geo: true }),
  m('claude-sonnet-4-6', 'Claude Sonnet 4.6', '2026-02-17', { geo: true }),
  m('claude-opus-4-6', 'Claude Opus 4.6', '2026-02-05', { maxTokens: 128_000, fast: true, geo: true }),
  m('claude-opus-4-5-20251101', 'Claude Opus 4.5', '2025-11-24', { maxInputTokens: 200_000 }),
  m('claude-haiku-4-5-20251001', 'Claude Haiku 4.5', '2025-10-01', { maxInputTokens: 200_000 }),
  m('claude-sonnet-4-5-20250929', 'Claude Sonnet 4.5', '2025-09-29', { maxInputTokens: 200_000 }),
  m('claude-opus-4-1-20250805', 'Claude Opus 4.1', '2025-08-05', { maxInputTokens: 200_000, maxTokens: 32_000 }),
  m('claude-opus-4-20250514', 'Claude Opus 4', '2025-05-14', { maxInputTokens: 200_000, maxTokens: 32_000 }),
  m('claude-sonnet-4-20250514', 'Claude Sonnet 4', '2025-05-14', { maxInputTokens: 200_000 }),
  m('claude-3-7-sonnet-20250219', 'Claude Sonnet 3.7', '2025-02-19', { maxInputTokens: 200_000 }),
  m('claude-3-5-haiku-20241022', 'Claude Haiku 3.5', '2024-10-22', { maxInputTokens: 200_000, maxTokens: 8_192 }),
  m('claude-3-haiku-20240307', 'Claude Haiku 3', '2024-03-07', { maxInputTokens: 200_000, maxTokens: 4_096 }),
  m('claude-3-opus-20240229', 'Claude Opus 3', '2024-02-29', { maxInputTokens: 200_000, maxTokens: 4_096 }),
];

/** Aliases accepted in requests; the response `model` is the target (pricing must key on it). */
export const ALIASES: Readonly<Record<string, string>> = {
  'claude-opus-4-5': 'claude-opus-4-5-20251101',
  'claude-haiku-4-5': 'claude-haiku-4-5-20251001',
  'claude-sonnet-4-5': 'claude-sonnet-4-5-20250929',
  'claude-opus-4-1': 'claude-opus-4-1-20250805',
  'claude-opus-4-0': 'claude-opus-4-20250514',
  'claude-sonnet-4-0': 'claude-sonnet-4-20250514',
  'claude-3-7-sonnet-latest': 'claude-3-7-sonnet-20250219',
  'claude-3-5-haiku-latest': 'claude-3-5-haiku-20241022',
};

export const TEST_MODEL_PREFIX = 'claude-test-';

/** Resolve a requested model id: the ModelInfo (synthesised for claude-test-*) or null if unknown. */
export function findModel(id: string): ModelInfo | null {
  const target = ALIASES[id] ?? id;
  const known = MODELS.find((x) => x.id === target);
  if (known) return known;
  if (id.startsWith(TEST_MODEL_PREFIX)) return m(id, id, '2026-01-01', { fast: true, geo: true });
  return null;
}

/** Default anthropic-beta allow-list: every beta the Anthropic API documents, plus common older ones. */
export const DEFAULT_BETAS: readonly string[] = [
  'oauth-2025-04-20',
  'claude-code-20250219',
  'interleaved-thinking-2025-05-14',
  'thinking-token-count-2026-05-13',
  'context-management-2025-06-27',
  'prompt-caching-scope-2026-01-05',
  'mid-conversation-system-2026-04-07',
  'advisor-tool-2026-03-01',
  'effort-2025-11-24',
  'extended-cache-ttl-2025-04-11',
  'context-1m-2025-08-07',
  'fast-mode-2026-02-01',
  'compact-2026-01-12',
  'files-api-2025-04-14',
  'structured-outputs-2025-12-15',
  'server-side-fallback-2026-06-01',
  'message-batches-2024-09-24',
  'prompt-caching-2024-07-31',
  'token-counting-2024-11-01',
  'token-efficient-tools-2025-02-19',
  'output-128k-2025-02-19',
  'fine-grained-tool-streaming-2025-05-14',
  'web-fetch-2025-09-10',
  'code-execution-2025-08-25',
  'advanced-tool-use-2025-11-20',
  'computer-use-2025-01-24',
  'mcp-client-2025-11-20',
  'skills-2025-10-02',
];

export interface ErrorSpec {
  type: string;
  message: string;
}

/** Error type and message per HTTP status (the Anthropic API's error types). */
export const STATUS_ERRORS: Readonly<Record<number, ErrorSpec>> = {
  400: { type: 'invalid_request_error', message: 'Invalid request.' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  402: { type: 'billing_error', message: 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.' },
  403: { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' },
  404: { type: 'not_found_error', message: 'Not Found' },
  409: { type: 'conflict_error', message: 'Conflict' },
  413: { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' },
  429: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit (https://docs.claude.com/en/api/rate-limits); see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://claude.com/contact-sales to discuss your options for a rate limit increase.' },
  500: { type: 'api_error', message: 'Internal server error' },
  504: { type: 'timeout_error', message: 'Request timeout' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

export function errorFor(status: number): ErrorSpec {
  return STATUS_ERRORS[status] ?? (status >= 500 ? { type: 'api_error', message: 'Internal server error' } : { type: 'invalid_request_error', message: 'Invalid request.' });
}

/** x-should-retry per §9.3: true for 429 and 5xx (incl. 529), false otherwise. */
export function shouldRetry(status: number): boolean {
  return status === 429 || status >= 500;
}
