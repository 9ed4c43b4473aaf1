import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen, waitFor, within, fireEvent } from '@testing-library/react';
import { App } from '../App.tsx';
import type { CcoBridge } from '../../../shared/bridge.ts';
import { startTestApi, type TestApi } from '../test-server.ts';
import { makeRecord, makeSummary } from '../test-fixtures.ts';
import { applyRecord } from '../api/merge.ts';
import { ApiClient } from '../api/client.ts';
import { primeFor } from './queries.ts';

function bridgeFor(api: TestApi, opened: (string | undefined)[] = []): CcoBridge {
  return {
    daemon: { info: async () => ({ baseUrl: api.baseUrl, token: api.token }) },
    app: { openDashboard: async (id) => void opened.push(id) },
  };
}

describe('Popover', () => {
  const apis: TestApi[] = [];
  afterEach(async () => {
    cleanup();
    for (const a of apis.splice(0)) await a.close();
  });

  it('shows today, this month, unpriced count and the last requests; a click opens the dashboard on it', async () => {
    const now = Date.now();
    const start = new Date(now - 3_600_000).toISOString();
    const r1 = makeRecord({ startedAt: now - 60_000, costNanoUsd: 4_200_000 });
    const r2 = makeRecord({ startedAt: now - 30_000, costNanoUsd: null, model: 'claude-future-9' });
    let today = makeSummary({ from: start, to: new Date(now + 3_600_000).toISOString() });
    today = applyRecord(applyRecord(today, r1), r2);
    const month = makeSummary({ range: 'month', from: start, totals: { ...today.totals, costNanoUsd: 12_310_000_000 } });
    const api = await startTestApi({ summaries: { today, month }, records: [r2, r1] });
    apis.push(api);
    const opened: (string | undefined)[] = [];
    render(<App bridge={bridgeFor(api, opened)} view="popover" />);

    await waitFor(() => expect(screen.getByTestId('today-total').textContent).toBe('$0.0042'));
    await waitFor(() => expect(screen.getByTestId('month-total').textContent).toBe('$12.31'));
    expect(screen.getAllByText('+1 unpriced').length).toBeGreaterThan(0);
    const list = await screen.findByTestId('recent-list');
    await waitFor(() => expect(within(list).getAllByRole('button')).toHaveLength(2));
    expect(within(list).getByText('unpriced')).toBeTruthy();
    fireEvent.click(within(list).getAllByRole('button')[1]!);
    expect(opened).toEqual([r1.id]);
    // every API call carried the bearer token
    expect(api.seen.filter((s) => s.path.startsWith('/api/')).every((s) => s.auth === `Bearer ${api.token}`)).toBe(true);
    expect(api.seen.find((s) => s.path === '/api/summary')?.query.get('tz')).toBeTruthy();
  });

  it('updates live when a request arrives, and shows reconnecting when the feed drops', async () => {
    const now = Date.now();
    const today = makeSummary({ from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() });
    const api = await startTestApi({ summaries: { today, month: today }, records: [makeRecord({ startedAt: now - 5000 })] });
    apis.push(api);
    render(<App bridge={bridgeFor(api)} view="popover" />);
    await waitFor(() => expect(screen.getByTestId('live-status').textContent).toContain('Live'));
    await waitFor(() => expect(screen.getByTestId('today-total').textContent).toBe('$0.00'));

    api.push(makeRecord({ startedAt: now, costNanoUsd: 2_500_000_000 }));
    await waitFor(() => expect(screen.getByTestId('today-total').textContent).toBe('$2.50'), { timeout: 1000 });
    await waitFor(() => expect(within(screen.getByTestId('recent-list')).getAllByRole('button')).toHaveLength(2));

    api.dropLive();
    await waitFor(() => expect(screen.getByTestId('live-status').textContent).toContain('Reconnecting'));
    await waitFor(() => expect(screen.getByTestId('live-status').textContent).toContain('Live'));
  });

  it('shows the setup line when nothing has been recorded yet', async () => {
    const api = await startTestApi({ summaries: {}, records: [] });
    apis.push(api);
    render(<App bridge={bridgeFor(api)} view="popover" />);
    const port = new URL(api.baseUrl).port;
    await waitFor(() => expect(screen.getByTestId('setup-line').textContent).toBe(`export ANTHROPIC_BASE_URL=http://127.0.0.1:${port}`));
  });

  it('renders primed data that already arrived in its first render, without asking again', async () => {
    const now = Date.now();
    const today = makeSummary({ from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString(), totals: { ...makeSummary().totals, costNanoUsd: 7_000_000_000 } });
    const api = await startTestApi({ summaries: { today, month: today }, records: [makeRecord({ startedAt: now - 5000 })] });
    apis.push(api);
    const client = new ApiClient({ baseUrl: api.baseUrl, token: api.token });
    client.prime(primeFor('popover'));
    for (let i = 0; i < 300 && !(client.peekSummary({ range: 'today' }) && client.peekRequests({ limit: 10 })); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const asked = api.seen.filter((x) => x.path.startsWith('/api/')).length;
    expect(asked).toBe(2); // today and recent (this month is asked for after the first render)
    render(<App bridge={bridgeFor(api)} view="popover" initialClient={client} />);
    // no waitFor: the very first commit has the numbers and the list
    expect(screen.getByTestId('today-total').textContent).toBe('$7.00');
    expect(within(screen.getByTestId('recent-list')).getAllByRole('button')).toHaveLength(1);
    expect(performance.getEntriesByName('cco:popover-rendered').length).toBeGreaterThan(0);
    await waitFor(() => expect(screen.getByTestId('live-status').textContent).toContain('Live'));
    await new Promise((r) => setTimeout(r, 100));
    await waitFor(() => expect(screen.getByTestId('month-total').textContent).toBe('$7.00'));
    // the primed answers were used: two more requests, this month's and the sparkline's last 24 hours
    // (the plan-limit gauges read /api/limits and /api/budgets on their own)
    const spendReads = api.seen.filter((x) => x.path.startsWith('/api/') && x.path !== '/api/limits' && x.path !== '/api/budgets');
    expect(spendReads.map((x) => x.query.get('range') ?? x.path).sort()).toEqual(['/api/requests', 'custom', 'month', 'today']);
  });
});

