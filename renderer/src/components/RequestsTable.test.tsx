/**
 * The requests table against the real daemon (real port, real store): header clicks ask the daemon for the
 * first page in that order, "Load more" continues it with the cursor, aria-sort follows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import type { RequestQuery, RequestRecord } from '../../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../../../daemon/index.ts';
import { silentLogger } from '../../../daemon/log.ts';
import { makeRecord } from '../../../daemon/store/test-fixtures.ts';
import type { CcoBridge } from '../../../shared/bridge.ts';
import { DaemonProvider } from '../hooks/daemon.tsx';
import { compareRecords, useRequests } from '../hooks/data.ts';
import { nextSort, RequestsTable } from './RequestsTable.tsx';

let daemon: RunningDaemon;
const dirs: string[] = [];
const records: RequestRecord[] = [];

beforeAll(async () => {
  const tmp = (p: string) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), p));
    dirs.push(d);
    return d;
  };
  daemon = await startDaemon({ port: 0, upstreamUrl: 'http://127.0.0.1:9', dataDir: tmp('cco-table-data-'), configDir: tmp('cco-table-config-'), log: silentLogger, apiKey: '' });
  const t = Date.now() - 3_600_000;
  for (let i = 0; i < 10; i++) {
    const r = makeRecord({ startedAt: t + i * 60_000, costNanoUsd: i % 4 === 1 ? null : ((i * 7) % 10) * 1_000_000, durationMs: 1000 + ((i * 3) % 10) * 100, cacheHit: i === 9 });
    records.push(r);
    daemon.store.add(r);
  }
  await daemon.store.flush();
});

afterAll(async () => {
  await daemon?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function Harness() {
  const [filter, setFilter] = useState<RequestQuery>({});
  const state = useRequests({ ...filter, limit: 4 });
  return <RequestsTable state={state} filter={filter} onFilter={setFilter} models={[]} projects={[]} onOpen={() => {}} />;
}

const bridge = (): CcoBridge => ({
  daemon: { info: async () => ({ baseUrl: daemon.url, token: daemon.token }) },
  app: { openDashboard: async () => {} },
});

const shownIds = (table: HTMLElement): string[] =>
  Array.from(table.querySelectorAll('tbody tr[data-request-id]')).map((tr) => tr.getAttribute('data-request-id')!);

async function loadAll(table: HTMLElement): Promise<void> {
  for (let i = 0; i < 5 && screen.queryByRole('button', { name: 'Load more' }); i++) {
    const before = shownIds(table).length;
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(shownIds(table).length).toBeGreaterThan(before));
  }
}

describe('RequestsTable with server-side sorting', () => {
  afterEach(cleanup);

  it('sorts through the API from the first page and pages on in that order', async () => {
    render(
      <DaemonProvider bridge={bridge()}>
        <Harness />
      </DaemonProvider>,
    );
    const table = await screen.findByTestId('requests-table');
    const th = (name: RegExp) => within(table).getByRole('button', { name }).closest('th')!;
    const byOrder = (sort: 'cost' | 'time', order: 'asc' | 'desc') => [...records].sort(compareRecords(sort, order)).map((r) => r.id);

    await waitFor(() => expect(shownIds(table)).toEqual(byOrder('time', 'desc').slice(0, 4)));
    expect(th(/Time/).getAttribute('aria-sort')).toBe('descending');
    expect(th(/Cost/).getAttribute('aria-sort')).toBe('none');
    // only the columns the daemon can sort are buttons
    expect(within(table).queryByRole('button', { name: 'Model' })).toBeNull();

    fireEvent.click(within(table).getByRole('button', { name: /Cost/ }));
    await waitFor(() => expect(shownIds(table)).toEqual(byOrder('cost', 'desc').slice(0, 4)));
    expect(th(/Cost/).getAttribute('aria-sort')).toBe('descending');
    expect(th(/Time/).getAttribute('aria-sort')).toBe('none');
    await loadAll(table);
    expect(shownIds(table)).toEqual(byOrder('cost', 'desc'));
    // a response-cache hit says so beside its cost; the others do not
    const cached = Array.from(table.querySelectorAll('tbody tr[data-request-id]')).filter((tr) => tr.textContent!.includes('(cached)'));
    expect(cached.map((tr) => tr.getAttribute('data-request-id'))).toEqual([records[9]!.id]);
    expect(table.querySelectorAll('tbody tr.row-unpriced')).toHaveLength(3);
    expect(Array.from(table.querySelectorAll('tbody tr')).slice(-3).every((tr) => tr.classList.contains('row-unpriced'))).toBe(true);

    // the same header again: ascending, from the first page (unpriced still last)
    fireEvent.click(within(table).getByRole('button', { name: /Cost/ }));
    await waitFor(() => expect(shownIds(table)).toEqual(byOrder('cost', 'asc').slice(0, 4)));
    expect(th(/Cost/).getAttribute('aria-sort')).toBe('ascending');
    await loadAll(table);
    expect(shownIds(table)).toEqual(byOrder('cost', 'asc'));
  });

  it('builds the next query from a header click: flip the active one, start others descending, default leaves it out', () => {
    expect(nextSort({}, 'cost')).toEqual({ sort: 'cost', order: 'desc' });
    expect(nextSort({ sort: 'cost', order: 'desc', model: 'm' }, 'cost')).toEqual({ sort: 'cost', order: 'asc', model: 'm' });
    expect(nextSort({ sort: 'cost', order: 'asc' }, 'cost')).toEqual({ sort: 'cost', order: 'desc' });
    expect(nextSort({}, 'time')).toEqual({ sort: 'time', order: 'asc' });
    expect(nextSort({ sort: 'time', order: 'asc', project: 'p', cursor: 'x' }, 'time')).toEqual({ project: 'p' });
    expect(nextSort({ sort: 'tokens', order: 'asc' }, 'duration')).toEqual({ sort: 'duration', order: 'desc' });
  });
});
