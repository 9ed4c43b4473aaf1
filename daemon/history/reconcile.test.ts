/**
 * Proxy-only reasons. A Claude Code side call (the session title, helpers) names its session but no working
 * directory; the proxy gives it the session's project, so the reason cannot rest on a missing project alone:
 * a request of a session whose transcript we hold but that the transcript does not show is a side call.
 * The real CLI's title call: claude-code-tui.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { RequestPage, RequestRecord } from '../../shared/contract.ts';
import { makeRecord } from '../store/test-fixtures.ts';
import { reconcile } from './reconcile.ts';
import type { HistoryLink } from './state.ts';

const T = Date.UTC(2026, 5, 1, 12);
const cc = (o: Partial<RequestRecord>): RequestRecord =>
  makeRecord({ startedAt: T, billable: true, costNanoUsd: 1000, client: 'claude-cli/2.1.332', agentId: null, source: 'proxy', ...o });
const source = (records: RequestRecord[]) => ({ listRequests: async (): Promise<RequestPage> => ({ items: records, nextCursor: null }) as RequestPage });
const link = (r: RequestRecord): HistoryLink => ({ proxyId: r.id, requestId: `req_${r.id}`, at: T, model: r.model ?? '', sessionId: r.sessionId, project: r.project, agentId: null, tokens: [0, 0, 0, 0, 0] });
const reasons = async (records: RequestRecord[], links: HistoryLink[]) =>
  Object.fromEntries((await reconcile(source(records), links, { range: 'all', tz: 'UTC', now: T + 1000 })).proxyOnlyReasons.map((r) => [r.reason, r.requests]));

describe('proxyOnlyReasons', () => {
  it('a side call given its session project is a title-or-side-call when the session has a transcript', async () => {
    const main = cc({ id: 'main', sessionId: 's1', project: '/w' });
    const title = cc({ id: 'title', sessionId: 's1', project: '/w', tokens: { input: 862, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 40 } });
    expect(await reasons([main, title], [link(main)])).toEqual({ 'title-or-side-call': 1 });
  });
  it('a transcript-only record of the session also proves its transcript', async () => {
    const hist = cc({ id: 'h', sessionId: 's1', project: '/w', source: 'history' });
    expect(await reasons([cc({ id: 'side', sessionId: 's1', project: '/w' }), hist], [])).toEqual({ 'title-or-side-call': 1 });
  });
  it('a request of a session without any transcript is no-transcript-line; no project, subagent, other client keep theirs', async () => {
    const records = [
      cc({ id: 'a', sessionId: 's2', project: '/w' }),
      cc({ id: 'b', sessionId: 's3', project: null }),
      cc({ id: 'c', sessionId: 's2', project: '/w', agentId: 'ag1' }),
      cc({ id: 'd', sessionId: null, project: null, client: 'Anthropic/JS 0.52.0' }),
    ];
    expect(await reasons(records, [])).toEqual({ 'no-transcript-line': 1, 'title-or-side-call': 1, subagent: 1, 'other-client': 1 });
  });
});
