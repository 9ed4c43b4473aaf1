import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { App } from '../App.tsx';
import type { CcoBridge } from '../../../shared/bridge.ts';
import { startTestApi, type TestApi } from '../test-server.ts';
import { makeRecord, makeSummary } from '../test-fixtures.ts';
import { applyRecord } from '../api/merge.ts';
import type { RequestRecord, Summary } from '../../../shared/contract.ts';

const bridgeFor = (api: TestApi): CcoBridge => ({
  daemon: { info: async () => ({ baseUrl: api.baseUrl, token: api.token }) },
  app: { openDashboard: async () => {} },
});

function seeded(n: number): { records: RequestRecord[]; summary: Summary } {
  const now = Date.now();
  let summary = makeSummary({ range: '7d', bucket: 'day', from: new Date(now - 7 * 86_400_000).toISOString(), to: new Date(now).toISOString(), series: [] });
  const records: RequestRecord[] = [];
  for (let i = 0; i < n; i++) {
    const r = makeRecord({
      startedAt: now - (i + 1) * 60_000,
      model: i % 3 === 0 ? 'claude-opus-4-1-20250805' : 'claude-sonnet-4-5-20250929',
      costNanoUsd: i === 4 ? null : (i + 1) * 1_000_000,
      tokens: { input: 10, cacheWrite5m: 5, cacheWrite1h: 0, cacheRead: 1000, output: 20 },
      cacheSavingsNanoUsd: 2_700_000,
    });
    records.push(r);
    summary = applyRecord(summary, r);
  }
  return { records, summary };
}

describe('Dashboard', () => {
  const apis: TestApi[] = [];
  afterEach(async () => {
    cleanup();
    window.location.hash = '';
    history.replaceState(null, '', '/');
    for (const a of apis.splice(0)) await a.close();
  });

  it('shows totals, savings, unpriced count and breakdowns; pages with the cursor; sorts', async () => {
    const { records, summary } = seeded(12);
    const api = await startTestApi({ summaries: { '7d': summary }, records, pageSize: 5 });
    apis.push(api);
    render(<App bridge={bridgeFor(api)} view="dashboard" />);

    await waitFor(() => expect(screen.getByTestId('range-requests').textContent).toBe('12'));
    // 1+2+3+4+6+…+12 mUSD = 78 − 5 = 73 mUSD
    expect(screen.getByTestId('range-total').textContent).toBe('$0.07');
    expect(screen.getByTestId('range-total').querySelector('.money')?.getAttribute('title')).toBe('$0.073');
    expect(screen.getByTestId('range-savings').textContent).toBe('$0.03');
    expect(screen.getAllByText('+1 unpriced').length).toBeGreaterThan(0);
    expect(await screen.findByRole('region', { name: 'By model' })).toBeTruthy();

    const table = screen.getByTestId('requests-table');
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(1 + 5));
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(1 + 10));
    expect(api.seen.some((s) => s.path === '/api/requests' && s.query.get('cursor') === '5')).toBe(true);
    expect(table.querySelectorAll('.row-unpriced')).toHaveLength(1);

    // sorting asks the API for the first page in that order (unpriced last either way)
    fireEvent.click(within(table).getByRole('button', { name: /Cost/ }));
    const firstCost = () => within(table).getAllByRole('row')[1]!.querySelectorAll('td')[4]!.textContent;
    await waitFor(() => expect(firstCost()).toBe('$0.01'));
    fireEvent.click(within(table).getByRole('button', { name: /Cost/ }));
    await waitFor(() => expect(firstCost()).toBe('$0.0010'));
    expect(api.seen.some((s) => s.query.get('sort') === 'cost' && s.query.get('order') === 'asc' && !s.query.has('cursor'))).toBe(true);
  });

  it('shows the response cache hits of the range apart from the requests, in the totals and in each group', async () => {
    const seededData = seeded(3);
    const records = [...seededData.records];
    let summary = seededData.summary;
    for (const i of [0, 1]) {
      const hit = makeRecord({ startedAt: Date.now() - (10 + i) * 60_000, model: 'claude-opus-4-1-20250805', cacheHit: true, billable: false, costNanoUsd: 0, cacheSavingsNanoUsd: 750_000_000 });
      records.push(hit);
      summary = applyRecord(summary, hit);
    }
    const api = await startTestApi({ summaries: { '7d': summary }, records, pageSize: 5 });
    apis.push(api);
    render(<App bridge={bridgeFor(api)} view="dashboard" />);
    await waitFor(() => expect(screen.getByTestId('range-cache-hits').textContent).toBe('2 from the response cache ($0; $1.50 saved)'));
    const byModel = await screen.findByRole('region', { name: 'By model' });
    const row = within(byModel).getByTitle('claude-opus-4-1-20250805').closest('tr')!;
    expect(within(row).getByTestId('group-cache-hits').textContent).toBe(' (2 cached)');
    expect(within(within(byModel).getByTitle('claude-sonnet-4-5-20250929').closest('tr')!).queryByTestId('group-cache-hits')).toBeNull();
  });

  it('filters by model through the API', async () => {
    const { records, summary } = seeded(6);
    const api = await startTestApi({ summaries: { '7d': summary }, records });
    apis.push(api);
    render(<App bridge={bridgeFor(api)} view="dashboard" />);
    const table = await screen.findByTestId('requests-table', undefined);
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(7));
    await screen.findByRole('option', { name: 'opus-4-1' });
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: 'claude-opus-4-1-20250805' } });
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(1 + 2));
    expect(api.seen.some((s) => s.query.get('model') === 'claude-opus-4-1-20250805')).toBe(true);
  });

  it('no "By user" breakdown nor user filter on the embedded store (its summary has no byUser)', async () => {
    const { records, summary } = seeded(3);
    const api = await startTestApi({ summaries: { '7d': summary }, records });
    apis.push(api);
    render(<App bridge={bridgeFor(api)} view="dashboard" />);
    expect(await screen.findByRole('region', { name: 'By model' })).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'By user' })).toBeNull();
    expect(screen.queryByLabelText('User')).toBeNull();
  });

  it('team store: a "By user" breakdown; a click filters the requests to that user through the API and the URL', async () => {
    const { records, summary } = seeded(6);
    records.forEach((r, i) => (r.user = i % 3 === 0 ? 'alice' : 'bob'));
    const group = (key: string, rs: RequestRecord[]) => ({
      key,
      requests: rs.length,
      costNanoUsd: rs.reduce((a, r) => a + (r.costNanoUsd ?? 0), 0),
      unpricedRequests: rs.filter((r) => r.costNanoUsd === null).length,
      cacheSavingsNanoUsd: 0,
      responseCacheHits: 0,
      responseCacheSavedNanoUsd: 0,
      tokens: { input: 10 * rs.length, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 20 * rs.length },
    });
    const byUser = [group('bob', records.filter((r) => r.user === 'bob')), group('alice', records.filter((r) => r.user === 'alice'))];
    const api = await startTestApi({ summaries: { '7d': { ...summary, byUser } }, records });
    apis.push(api);
    render(<App bridge={bridgeFor(api)} view="dashboard" />);
    const panel = await screen.findByRole('region', { name: 'By user' });
    const rows = within(panel).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.querySelector('th')!.textContent)).toEqual(['bob', 'alice']);
    // bob: records 2,3,5,6 → $0.002 + $0.003 + (unpriced #5) + $0.006; alice: records 1 and 4 → $0.005
    expect(within(rows[1]!).getByText('$0.0050')).toBeTruthy();
    expect(within(rows[0]!).getByText('+1 unpriced')).toBeTruthy();
    const table = screen.getByTestId('requests-table');
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(1 + 6));
    fireEvent.click(within(panel).getByRole('button', { name: 'alice' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(1 + 2));
    expect(api.seen.some((s) => s.path === '/api/requests' && s.query.get('user') === 'alice')).toBe(true);
    expect(new URLSearchParams(window.location.search).get('user')).toBe('alice');
    expect((screen.getByLabelText('User') as HTMLSelectElement).value).toBe('alice');
    fireEvent.change(screen.getByLabelText('User'), { target: { value: '' } });
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(1 + 6));
  });

  it('logged in as a user: names them, no by-user breakdown or user filter, no admin panels or their requests', async () => {
    const { records, summary } = seeded(3);
    records.forEach((r) => (r.user = 'alice'));
    const byUser = [{ key: 'alice', requests: 3, costNanoUsd: 6_000_000, unpricedRequests: 0, cacheSavingsNanoUsd: 0, responseCacheHits: 0, responseCacheSavedNanoUsd: 0, tokens: { input: 30, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 60 } }];
    const now = Date.now();
    const budgets = {
      tz: 'UTC', rules: [{ period: 'daily' as const, usd: 10, project: null, user: 'alice', hard: false }], overrideUntil: null, pausedSessions: [], ready: true,
      budgets: [{ period: 'daily' as const, usd: 10, project: null, user: 'alice', hard: false, spentNanoUsd: 2_500_000_000, fraction: 0.25, state: 'ok' as const, periodStart: now - 3_600_000, periodEnd: now + 3_600_000 }],
    };
    const api = await startTestApi({ summaries: { '7d': { ...summary, byUser } }, records, viewer: { kind: 'user', user: 'alice' }, budgets });
    apis.push(api);
    history.replaceState(null, '', '/?user=bob'); // a link the admin shared
    render(<App bridge={bridgeFor(api)} view="dashboard" />);
    expect((await screen.findByTestId('viewer', undefined)).textContent).toBe('Signed in as alice');
    expect(await screen.findByRole('region', { name: 'By model' })).toBeTruthy();
    const table = screen.getByTestId('requests-table');
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(1 + 3));
    expect(screen.queryByRole('region', { name: 'By user' })).toBeNull();
    expect(screen.queryByLabelText('User')).toBeNull();
    expect(new URLSearchParams(window.location.search).get('user')).toBeNull();
    const asked = new Set(api.seen.map((x) => x.path));
    for (const adminOnly of ['/api/limits', '/api/import', '/api/cache']) expect(asked.has(adminOnly), adminOnly).toBe(false);
    // their own budget, read-only (no editor)
    const own = await screen.findByTestId('user-budgets', undefined);
    expect(within(own).getByTestId('budget-daily-user-alice').textContent).toContain('$2.50 of $10.00');
    expect(screen.queryByRole('form', { name: 'Set a budget' })).toBeNull();
    // the bearer token (the Electron shell) is no cookie login: nothing to log out of
    expect(screen.queryByRole('button', { name: 'Log out' })).toBeNull();
  });

  it('logged in as the admin: says so, and keeps the by-user breakdown and the admin panels', async () => {
    const { records, summary } = seeded(2);
    records.forEach((r, i) => (r.user = i === 0 ? 'alice' : 'bob'));
    const group = (key: string) => ({ key, requests: 1, costNanoUsd: 1_000_000, unpricedRequests: 0, cacheSavingsNanoUsd: 0, responseCacheHits: 0, responseCacheSavedNanoUsd: 0, tokens: { input: 10, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 20 } });
    const api = await startTestApi({ summaries: { '7d': { ...summary, byUser: [group('alice'), group('bob')] } }, records, viewer: { kind: 'admin' } });
    apis.push(api);
    render(<App bridge={bridgeFor(api)} view="dashboard" />);
    expect((await screen.findByTestId('viewer', undefined)).textContent).toBe('Admin · all users');
    expect(await screen.findByRole('region', { name: 'By user' })).toBeTruthy();
    await waitFor(() => expect(api.seen.some((x) => x.path === '/api/limits')).toBe(true));
    expect(api.seen.some((x) => x.path === '/api/cache')).toBe(true);
  });

  it('opens a request detail with cost breakdown and price version, closes on Escape', async () => {
    const { records, summary } = seeded(3);
    records[0] = { ...records[0]!, gitBranch: 'feature/login', isSidechain: true, agentId: 'a7' };
    const api = await startTestApi({ summaries: { '7d': summary }, records });
    apis.push(api);
    render(<App bridge={bridgeFor(api)} view="dashboard" />);
    const open = await screen.findAllByRole('button', { name: /Open request/ });
    fireEvent.click(open[0]!);
    const dialog = await screen.findByRole('dialog');
    await waitFor(() => expect(within(dialog).getByText('2026-01-01')).toBeTruthy());
    expect(within(dialog).getByTestId('detail-git-branch').textContent).toBe('feature/login');
    expect(within(dialog).getByTestId('detail-thread').textContent).toBe('subagent (sidechain) · agent a7');
    expect(within(dialog).getByText('Cache read')).toBeTruthy();
    expect(within(dialog).getByText('$0.00075')).toBeTruthy();
    expect(window.location.hash).toBe(`#/requests/${records[0]!.id}`);
    fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('counts errors apart, filters the table to them, and keeps the filter and range in the URL', async () => {
    const { records } = seeded(6);
    records[1] = { ...records[1]!, status: 429 };
    records[3] = { ...records[3]!, status: 529, state: 'complete' };
    let summary = makeSummary({ range: '30d', bucket: 'day', from: new Date(Date.now() - 30 * 86_400_000).toISOString(), to: new Date().toISOString(), series: [] });
    for (const r of records) summary = applyRecord(summary, r);
    expect(summary.errors.requests).toBe(2);
    const api = await startTestApi({ summaries: { '30d': summary }, records });
    apis.push(api);
    history.replaceState(null, '', '/?range=30d');
    render(<App bridge={bridgeFor(api)} view="dashboard" />);
    const count = await screen.findByTestId('error-count', undefined);
    expect(count.textContent).toBe('2 errors · 1× 429 rate limited, 1× 529 overloaded');
    fireEvent.click(count);
    const table = screen.getByTestId('requests-table');
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(1 + 2));
    expect(api.seen.some((s) => s.path === '/api/requests' && s.query.get('state') === 'errors')).toBe(true);
    expect(within(table).getAllByText(/429 rate limited|529 overloaded/)).toHaveLength(2);
    await waitFor(() => expect(new URLSearchParams(window.location.search).get('state')).toBe('errors'));
    expect(new URLSearchParams(window.location.search).get('range')).toBe('30d');
    expect((screen.getByLabelText('State') as HTMLSelectElement).value).toBe('errors');
  });

  it('labels same-named projects apart and shows sessions with project, start and duration; opens a session', async () => {
    const now = Date.now();
    const sessionA = 'aaaaaaaa-1111-4111-8111-111111111111';
    const records = [
      makeRecord({ startedAt: now - 60_000, endedAt: now - 50_000, project: '/home/u/a/my-app', sessionId: sessionA, costNanoUsd: 3_000_000 }),
      makeRecord({ startedAt: now - 3_000_000, endedAt: now - 2_990_000, project: '/home/u/a/my-app', sessionId: sessionA, costNanoUsd: 1_000_000, tokens: { input: 10, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 990, output: 5 } }),
      makeRecord({ startedAt: now - 120_000, endedAt: now - 110_000, project: '/home/u/b/my-app', sessionId: 'bbbbbbbb-2222', costNanoUsd: 2_000_000 }),
    ];
    let summary = makeSummary({ range: '7d', bucket: 'day', from: new Date(now - 7 * 86_400_000).toISOString(), to: new Date(now).toISOString(), series: [], bySession: [] });
    for (const r of records) summary = applyRecord(summary, r);
    let one = makeSummary({ range: 'all', session: sessionA, bySession: [] });
    for (const r of records.filter((x) => x.sessionId === sessionA)) one = applyRecord({ ...one, from: new Date(0).toISOString() }, r);
    const api = await startTestApi({ summaries: { '7d': summary, [`session:${sessionA}`]: one }, records });
    apis.push(api);
    render(<App bridge={bridgeFor(api)} view="dashboard" />);
    const projects = await screen.findByRole('region', { name: 'By project' });
    expect(within(projects).getByText('a/my-app').closest('th')?.getAttribute('title')).toBe('/home/u/a/my-app');
    expect(within(projects).getByText('b/my-app')).toBeTruthy();
    const sessions = screen.getByRole('region', { name: 'By session' });
    const row = sessions.querySelector(`tr[data-session="${sessionA}"]`)!;
    expect(row.textContent).toContain('a/my-app');
    expect(row.textContent).toContain('49 min'); // first start to last end: 3,000 s − 50 s
    fireEvent.click(within(row as HTMLElement).getByRole('button'));
    const view = await screen.findByTestId('session-view');
    expect(window.location.hash).toBe(`#/sessions/${sessionA}`);
    await waitFor(() => expect(within(view).getAllByRole('row')).toHaveLength(1 + 2));
    // in order, oldest first, with the cache story
    const first = within(view).getAllByRole('row')[1]!;
    expect(first.textContent).toContain('99%');
    expect(api.seen.some((s) => s.path === '/api/summary' && s.query.get('session') === sessionA)).toBe(true);
    expect(api.seen.some((s) => s.path === '/api/requests' && s.query.get('session') === sessionA && s.query.get('order') === 'asc')).toBe(true);
    fireEvent.click(within(view).getByRole('button', { name: 'Close session' }));
    await waitFor(() => expect(screen.queryByTestId('session-view')).toBeNull());
  });

  it('disconnected: keeps the last figures, dimmed, with their age, and disables range changes', async () => {
    const { records, summary } = seeded(3);
    const api = await startTestApi({ summaries: { '7d': summary }, records });
    render(<App bridge={bridgeFor(api)} view="dashboard" />);
    await waitFor(() => expect(screen.getByTestId('range-requests').textContent).toBe('3'));
    await waitFor(() => expect(screen.getByTestId('live-status').textContent).toContain('Live'));
    expect(screen.queryByTestId('stale-note')).toBeNull();
    await api.close(); // the daemon goes away
    const note = await screen.findByTestId('stale-note', undefined);
    expect(note.textContent).toMatch(/figures as of .* \(just now\)/);
    expect(screen.getByTestId('range-requests').textContent).toBe('3');
    expect(screen.getByRole('region', { name: 'Totals' }).className).toContain('stale');
    for (const b of within(screen.getByRole('radiogroup', { name: 'Time range' })).getAllByRole('radio')) expect((b as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows export buttons only when the API offers export', async () => {
    const { records, summary } = seeded(1);
    const off = await startTestApi({ summaries: { '7d': summary }, records });
    apis.push(off);
    render(<App bridge={bridgeFor(off)} view="dashboard" />);
    await screen.findByTestId('requests-table', undefined);
    await waitFor(() => expect(off.seen.some((s) => s.path === '/api/export.json')).toBe(true));
    expect(screen.queryByRole('button', { name: 'Export CSV' })).toBeNull();
    cleanup();
    const on = await startTestApi({ summaries: { '7d': summary }, records, exportEnabled: true });
    apis.push(on);
    render(<App bridge={bridgeFor(on)} view="dashboard" />);
    expect(await screen.findByRole('button', { name: 'Export CSV' })).toBeTruthy();
  });
});
