/**
 * Reconciliation: what the proxy saw against what Claude Code's transcripts show, per day × model and per
 * project, in a time zone.
 *
 * - both: a proxy record that a transcript also shows (a link, see state.ts); counted once, at the proxy's
 *   exact figures, with the token differences proxy − transcript;
 * - proxy only: billable proxy records without a link (why: see ProxyOnlyReason);
 * - transcript only: `source: 'history'` records: requests that did not go through the proxy.
 * Non-billable proxy records (errors without usage, count_tokens, HEAD) cost nothing and are left out.
 */
import type {
  ProxyOnlyReason, ReconcileCell, ReconcileDayModel, ReconcileProject, ReconcileReport, ReconcileRow, RequestPage, RequestQuery, RequestRecord,
  SummaryRange, TokenCounts,
} from '../../shared/contract.ts';
import { startOfDayContaining, startOfDaysAgo, startOfMonthContaining, tzOffsetMs } from '../store/tz.ts';
import type { HistoryLink } from './state.ts';

const NONE = '(none)';
const HOUR_MS = 3_600_000;

export interface ReconcileQuery {
  range: SummaryRange | 'custom';
  tz: string;
  from?: number;
  to?: number;
  now?: number;
}

export interface ReconcileSource {
  listRequests(q: RequestQuery): Promise<RequestPage>;
}

const cell = (): ReconcileCell => ({ requests: 0, costNanoUsd: 0 });
const zeroTokens = (): TokenCounts => ({ input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 });
const row = (): ReconcileRow => ({ both: cell(), proxyOnly: cell(), transcriptOnly: cell(), tokenDiff: zeroTokens(), pairsDiffering: 0 });

export function reconcileWindow(q: ReconcileQuery): { from: number; to: number } {
  const now = q.now ?? Date.now();
  switch (q.range) {
    case 'today':
      return { from: startOfDayContaining(now, q.tz), to: now };
    case '7d':
      return { from: startOfDaysAgo(now, 6, q.tz), to: now };
    case '30d':
      return { from: startOfDaysAgo(now, 29, q.tz), to: now };
    case 'month':
      return { from: startOfMonthContaining(now, q.tz), to: now };
    case 'all':
      return { from: 0, to: now };
    case 'custom':
      if (q.from === undefined || q.to === undefined || q.from >= q.to) throw new RangeError('custom range needs from < to');
      return { from: q.from, to: q.to };
  }
}

/** Local date (YYYY-MM-DD) of an instant, with the zone offset cached per UTC hour. */
function dayKeyer(tz: string): (t: number) => string {
  const offsets = new Map<number, number>();
  return (t) => {
    const h = Math.floor(t / HOUR_MS);
    let off = offsets.get(h);
    if (off === undefined) {
      off = tzOffsetMs(h * HOUR_MS, tz);
      offsets.set(h, off);
    }
    return new Date(t + off).toISOString().slice(0, 10);
  };
}

/**
 * Why a transcript misses a billable proxy request. `transcriptSessions`: the sessions some transcript shows.
 * Claude Code writes every main-thread response of a session to its transcript and none of its side calls
 * (the session title, haiku helpers); the proxy gives a side call its session's project (session-projects.ts),
 * so a missing project alone does not tell a side call. A request of a session whose transcript we hold but
 * that the transcript does not show is a side call; measured with the real CLI in claude-code-tui.test.ts:
 * its title call names the session, carries no working directory, and is never written to the transcript.
 */
export function proxyOnlyReason(r: RequestRecord, transcriptSessions: ReadonlySet<string> = new Set()): ProxyOnlyReason {
  if (r.client !== null && !r.client.startsWith('claude-cli/')) return 'other-client';
  if (r.agentId !== null) return 'subagent';
  if (r.project === null) return 'title-or-side-call';
  if (r.sessionId !== null && transcriptSessions.has(r.sessionId)) return 'title-or-side-call';
  return 'no-transcript-line';
}

function add(c: ReconcileCell, r: RequestRecord): void {
  c.requests++;
  c.costNanoUsd += r.costNanoUsd ?? 0;
}

export async function reconcile(source: ReconcileSource, links: readonly HistoryLink[], q: ReconcileQuery): Promise<ReconcileReport> {
  const { from, to } = reconcileWindow(q);
  const linkOf = new Map<string, HistoryLink>();
  for (const l of links) linkOf.set(l.proxyId, l);
  const dayOf = dayKeyer(q.tz);
  const totals = row();
  const byDayModel = new Map<string, ReconcileDayModel>();
  const byProject = new Map<string, ReconcileProject>();
  const reasons = new Map<ProxyOnlyReason, ReconcileCell>();
  const sessions = new Map<string, ReconcileCell & { sessionId: string; project: string }>();
  // Sessions a transcript shows (linked records and transcript-only ones); proxy-only records wait for the end to be classified.
  const transcriptSessions = new Set<string>();
  for (const l of links) if (l.sessionId !== null) transcriptSessions.add(l.sessionId);
  const proxyOnly: RequestRecord[] = [];

  const visit = (r: RequestRecord): void => {
    if (!r.billable) return;
    const day = dayOf(r.startedAt);
    const model = r.model ?? r.modelRequested ?? NONE;
    const project = r.project ?? NONE;
    const dmKey = `${day}\0${model}`;
    let dm = byDayModel.get(dmKey);
    if (!dm) byDayModel.set(dmKey, (dm = { day, model, ...row() }));
    let pr = byProject.get(project);
    if (!pr) byProject.set(project, (pr = { project, ...row() }));
    const rows = [totals, dm, pr];
    if (r.source === 'history') {
      for (const x of rows) add(x.transcriptOnly, r);
      const sk = r.sessionId ?? NONE;
      let s = sessions.get(sk);
      if (!s) sessions.set(sk, (s = { sessionId: sk, project, ...cell() }));
      add(s, r);
      if (r.sessionId !== null) transcriptSessions.add(r.sessionId);
      return;
    }
    const link = linkOf.get(r.id);
    if (!link) {
      for (const x of rows) add(x.proxyOnly, r);
      proxyOnly.push(r);
      return;
    }
    const [i, w5, w1, cr, o] = link.tokens;
    const d = { input: r.tokens.input - i, cacheWrite5m: r.tokens.cacheWrite5m - w5, cacheWrite1h: r.tokens.cacheWrite1h - w1, cacheRead: r.tokens.cacheRead - cr, output: r.tokens.output - o };
    const differs = d.input !== 0 || d.cacheWrite5m !== 0 || d.cacheWrite1h !== 0 || d.cacheRead !== 0 || d.output !== 0;
    for (const x of rows) {
      add(x.both, r);
      x.tokenDiff.input += d.input;
      x.tokenDiff.cacheWrite5m += d.cacheWrite5m;
      x.tokenDiff.cacheWrite1h += d.cacheWrite1h;
      x.tokenDiff.cacheRead += d.cacheRead;
      x.tokenDiff.output += d.output;
      if (differs) x.pairsDiffering++;
    }
  };

  let cursor: string | undefined;
  do {
    const page = await source.listRequests({ from, to, limit: 500, sort: 'time', order: 'asc', ...(cursor !== undefined && { cursor }) });
    for (const r of page.items) visit(r);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  for (const r of proxyOnly) {
    const reason = proxyOnlyReason(r, transcriptSessions);
    let c = reasons.get(reason);
    if (!c) reasons.set(reason, (c = cell()));
    add(c, r);
  }

  return {
    range: q.range,
    tz: q.tz,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    totals,
    allThroughProxy: totals.transcriptOnly.requests === 0,
    byDayModel: [...byDayModel.values()].sort((a, b) => (a.day !== b.day ? (a.day < b.day ? -1 : 1) : a.model < b.model ? -1 : a.model > b.model ? 1 : 0)),
    byProject: [...byProject.values()].sort((a, b) => b.both.costNanoUsd + b.proxyOnly.costNanoUsd + b.transcriptOnly.costNanoUsd - (a.both.costNanoUsd + a.proxyOnly.costNanoUsd + a.transcriptOnly.costNanoUsd)),
    proxyOnlyReasons: [...reasons.entries()].map(([reason, c]) => ({ reason, ...c })).sort((a, b) => b.requests - a.requests),
    transcriptOnlySessions: [...sessions.values()].sort((a, b) => b.costNanoUsd - a.costNanoUsd || b.requests - a.requests).slice(0, 50),
  };
}
