import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { App } from '../App.tsx';
import type { CcoBridge } from '../bridge.ts';
import { startTestApi, type TestApi } from '../test-server.ts';
import { makeRecord, makeSummary } from '../test-fixtures.ts';
import { applyRecord } from '../api/merge.ts';
import type { RequestRecord, Summary } from '../../../daemon/api/contract.ts';

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
    for (const a of apis.splice(0)) await a.close();
  });

  it('shows totals, savings, unpriced count and breakdowns; pages with the cursor; sorts', async () => {
    const { records, summary } = seeded(12);
    const api = await startTestApi({ summaries: { '7d': summary }, records, pageSize: 5 });
    apis.push(api);
    render(<App bridge={bridgeFor(api)} view="dashboard" />);

    await waitFor(() => expect(screen.getByTestId('range-requests').textContent).toBe('12'), { timeout: 5000 });
    // 1+2+3+4+6+…+12 mUSD = 78 − 5 = 73 mUSD
    expect(screen.getByTestId('range-total').textContent).toBe('$0.07');
    expect(screen.getByTestId('range-total').querySelector('.money')?.getAttribute('title')).toBe('$0.073');
    expect(screen.getByTestId('range-savings').textContent).toBe('$0.03');
    expect(screen.getAllByText('+1 unpriced').length).toBeGreaterThan(0);
    expect(await screen.findByRole('region', { name: 'By model' }, { timeout: 5000 })).toBeTruthy();

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

  it('filters by model through the API', async () => {
    const { records, summary } = seeded(6);
    const api = await startTestApi({ summaries: { '7d': summary }, records });
    apis.push(api);
    render(<App bridge={bridgeFor(api)} view="dashboard" />);
    const table = await screen.findByTestId('requests-table', undefined, { timeout: 5000 });
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(7));
    await screen.findByRole('option', { name: 'opus-4-1' });
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: 'claude-opus-4-1-20250805' } });
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(1 + 2));
    expect(api.seen.some((s) => s.query.get('model') === 'claude-opus-4-1-20250805')).toBe(true);
  });

  it('opens a request detail with cost breakdown and price version, closes on Escape', async () => {
    const { records, summary } = seeded(3);
    const api = await startTestApi({ summaries: { '7d': summary }, records });
    apis.push(api);
    render(<App bridge={bridgeFor(api)} view="dashboard" />);
    const open = await screen.findAllByRole('button', { name: /Open request/ }, { timeout: 5000 });
    fireEvent.click(open[0]!);
    const dialog = await screen.findByRole('dialog');
    await waitFor(() => expect(within(dialog).getByText('2026-01-01')).toBeTruthy());
    expect(within(dialog).getByText('Cache read')).toBeTruthy();
    expect(within(dialog).getByText('$0.00075')).toBeTruthy();
    expect(window.location.hash).toBe(`#/requests/${records[0]!.id}`);
    fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('shows export buttons only when the API offers export', async () => {
    const { records, summary } = seeded(1);
    const off = await startTestApi({ summaries: { '7d': summary }, records });
    apis.push(off);
    render(<App bridge={bridgeFor(off)} view="dashboard" />);
    await screen.findByTestId('requests-table', undefined, { timeout: 5000 });
    await waitFor(() => expect(off.seen.some((s) => s.path === '/api/export.json')).toBe(true));
    expect(screen.queryByRole('button', { name: 'Export CSV' })).toBeNull();
    cleanup();
    const on = await startTestApi({ summaries: { '7d': summary }, records, exportEnabled: true });
    apis.push(on);
    render(<App bridge={bridgeFor(on)} view="dashboard" />);
    expect(await screen.findByRole('button', { name: 'Export CSV' }, { timeout: 5000 })).toBeTruthy();
  });
});
