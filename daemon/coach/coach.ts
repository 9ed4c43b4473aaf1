/**
 * `GET /api/cache-coach` and `cco coach`: the prompt-cache coach over a range, per session, project and
 * model, with cache busters, TTL advice and advice in words (analyze.ts has the arithmetic).
 */
import type { CacheBuster, CacheCoachReport, CoachFigures, CoachGroup, RequestPage, RequestQuery, RequestRecord, SummaryRange, TtlAdvice } from '../../shared/contract.ts';
import { formatUsd } from '../api/format.ts';
import { reconcileWindow } from '../history/reconcile.ts';
import type { Pricer } from '../pricing/index.ts';
import { addPart, coachable, emptyFigures, findBusters, modelOf, partsOf, Pricing, TTL_1H, ttlAdvice, type RequestPart } from './analyze.ts';

export interface CoachQuery {
  range: SummaryRange | 'custom';
  tz: string;
  from?: number;
  to?: number;
  now?: number;
  /** Team store: only this user's requests. */
  user?: string;
}

export interface CoachSource {
  listRequests(q: RequestQuery): Promise<RequestPage>;
}

const TOP = 50;
const NONE = '(none)';

/** Reads the range (plus an hour after it, where the reads of its last writes may be) and analyses it. */
export async function cacheCoach(source: CoachSource, pricer: Pricer, q: CoachQuery): Promise<CacheCoachReport> {
  const { from, to } = reconcileWindow(q);
  const records: RequestRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await source.listRequests({ from, to: to + TTL_1H, limit: 500, sort: 'time', order: 'asc', ...(cursor !== undefined && { cursor }), ...(q.user !== undefined && { user: q.user }) });
    records.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return { range: q.range, tz: q.tz, from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...analyzeRecords(records, pricer, { from, to, now: q.now ?? Date.now(), tz: q.tz }) };
}

/** The report's figures from coachable records in time order (records from `to` on only serve as later reads). */
export function analyzeRecords(
  records: readonly RequestRecord[], // any records; those coachable() accepts are analysed
  pricer: Pricer,
  w: { from: number; to: number; now: number; tz: string },
): Omit<CacheCoachReport, 'range' | 'tz' | 'from' | 'to'> {
  const pricing = new Pricing(pricer);
  records = records.filter(coachable);
  const bySessionModel = new Map<string, RequestRecord[]>();
  const bySessionAll = new Map<string, RequestRecord[]>();
  for (const r of records) {
    const s = r.sessionId ?? NONE;
    const k = `${s}\0${modelOf(r)}`;
    (bySessionModel.get(k) ?? bySessionModel.set(k, []).get(k)!).push(r);
    (bySessionAll.get(s) ?? bySessionAll.set(s, []).get(s)!).push(r);
  }
  const inRange = (r: RequestRecord) => r.startedAt >= w.from && r.startedAt < w.to;
  const parts = new Map<string, RequestPart>();
  for (const seq of bySessionModel.values()) for (const p of partsOf(seq, pricing, w.now)) parts.set(p.record.id, p);

  const totals = emptyFigures();
  const groups = { session: new Map<string, CoachGroup>(), project: new Map<string, CoachGroup>(), model: new Map<string, CoachGroup>() };
  const add = (m: Map<string, CoachGroup>, key: string, p: RequestPart) => {
    let g = m.get(key);
    if (!g) m.set(key, (g = { key, ...emptyFigures() }));
    addPart(g, p);
  };
  for (const r of records) {
    if (!inRange(r)) continue;
    const p = parts.get(r.id)!;
    addPart(totals, p);
    add(groups.session, r.sessionId ?? NONE, p);
    add(groups.project, r.project ?? NONE, p);
    add(groups.model, modelOf(r), p);
  }

  const busters: CacheBuster[] = [];
  const ttl: TtlAdvice[] = [];
  let ttlSavingNanoUsd = 0;
  for (const seq of bySessionModel.values()) {
    const own = seq.filter(inRange);
    if (own.length === 0) continue;
    busters.push(...findBusters(own, bySessionAll.get(own[0]!.sessionId ?? NONE)!, parts));
    const advice = ttlAdvice(own, pricing);
    if (advice?.switchTo) {
      ttl.push(advice);
      ttlSavingNanoUsd += advice.savingNanoUsd;
    }
  }
  busters.sort((a, b) => b.writeNanoUsd - a.writeNanoUsd);
  ttl.sort((a, b) => b.savingNanoUsd - a.savingNanoUsd);
  const top = (m: Map<string, CoachGroup>) => [...m.values()].sort((a, b) => b.costNanoUsd - a.costNanoUsd).slice(0, TOP);
  return {
    totals,
    bySession: top(groups.session),
    byProject: top(groups.project),
    byModel: top(groups.model),
    busters: busters.slice(0, TOP),
    ttl: ttl.slice(0, TOP),
    ttlSavingNanoUsd,
    advice: adviceOf(totals, busters, ttl, ttlSavingNanoUsd, w.tz),
  };
}

const short = (id: string) => (id.length > 12 ? `${id.slice(0, 8)}…` : id);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

function when(ms: number, tz: string): string {
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: tz, dateStyle: 'medium', timeStyle: 'short' }).format(ms);
  } catch {
    return new Date(ms).toISOString();
  }
}

const FIX: Record<CacheBuster['cause'], string> = {
  'model-switch': 'stay on one model within a session (a switch starts an empty cache)',
  'ttl-expiry': 'use 1-hour cache writes for such sessions (Claude Code: ENABLE_PROMPT_CACHING_1H=1), or keep turns closer together',
  'prefix-changes': 'keep the system prompt and tools byte-stable between calls (no timestamps, random ids or reordered lists near the start)',
};

/** Sentences with the money and the request ids behind them, most money first. */
export function adviceOf(totals: CoachFigures, busters: readonly CacheBuster[], ttl: readonly TtlAdvice[], ttlSaving: number, tz: string): CacheCoachReport['advice'] {
  const out: CacheCoachReport['advice'] = [];
  for (const b of busters.slice(0, 5)) {
    out.push({
      text: `Session ${short(b.sessionId)}${b.project ? ` (${b.project})` : ''} on ${b.model}: ${b.turns} turns in a row from ${when(b.startedAt, tz)} wrote the cache and never read it (${formatUsd(b.writeNanoUsd)} of writes). Probable cause: ${b.detail}. Fix: ${FIX[b.cause]}.`,
      nanoUsd: b.writeNanoUsd,
      requestIds: b.requestIds,
    });
  }
  if (ttlSaving > 0) {
    const to1h = ttl.filter((a) => a.switchTo === '1h');
    const to5m = ttl.filter((a) => a.switchTo === '5m');
    const save = (xs: readonly TtlAdvice[]) => xs.reduce((s, a) => s + a.savingNanoUsd, 0);
    if (to1h.length > 0) {
      const gaps = to1h.reduce((s, a) => s + a.gaps.under1h, 0);
      out.push({
        text: `1-hour cache writes instead of 5-minute ones would have saved ${formatUsd(save(to1h))} over this range in ${to1h.length} session(s): ${gaps} gaps between their turns were 5–60 min, so the 5-minute cache expired and was written again (Claude Code: ENABLE_PROMPT_CACHING_1H=1).`,
        nanoUsd: save(to1h),
        requestIds: to1h.flatMap((a) => a.requestIds).slice(0, 50),
      });
    }
    if (to5m.length > 0) {
      out.push({
        text: `5-minute cache writes instead of 1-hour ones would have saved ${formatUsd(save(to5m))} over this range in ${to5m.length} session(s): their turns came within 5 min of each other, so the 1-hour write (2× input instead of 1.25×) bought nothing (Claude Code: FORCE_PROMPT_CACHING_5M=1).`,
        nanoUsd: save(to5m),
        requestIds: to5m.flatMap((a) => a.requestIds).slice(0, 50),
      });
    }
  }
  if (totals.wastedNanoUsd > 0) {
    out.push({
      text: `${formatUsd(totals.wastedNanoUsd)} went on cache writes nobody read before they expired (5m: ${formatUsd(totals.wasted5mNanoUsd)}, 1h: ${formatUsd(totals.wasted1hNanoUsd)}; ${totals.unreadWriteTokens.toLocaleString('en-US')} tokens): what they cost over plain input. One-off calls (titles, side questions) should not set cache_control.`,
      nanoUsd: totals.wastedNanoUsd,
      requestIds: totals.wastedRequestIds,
    });
  }
  out.sort((a, b) => b.nanoUsd - a.nanoUsd);
  if (totals.requests > 0) {
    out.push({
      text: `Cache reads saved ${formatUsd(totals.savedNanoUsd)} against the full input price (hit ratio ${pct(totals.hitRatio)}: reads ÷ (reads + uncached input + writes)); cache writes cost ${formatUsd(totals.writeNanoUsd)} of ${formatUsd(totals.costNanoUsd)}.`,
      nanoUsd: totals.savedNanoUsd,
      requestIds: [],
    });
  }
  return out;
}
