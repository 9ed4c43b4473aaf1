import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import type { StatusResponse } from '../../../shared/contract.ts';
import { StatusBannerView } from './StatusBanner.tsx';

const base = (over: Partial<StatusResponse> = {}): StatusResponse => ({
  status: 'ok',
  message: null,
  problems: [],
  version: '1.0.0',
  uptime: 10,
  recordingEnabled: true,
  store: {
    kind: 'sqlite', ready: true, workerUp: true, journal: { writable: true, bytes: 0, pendingRecords: 0 }, snapshot: { lastAt: null },
    requests: 0, droppedWrites: 0, workerRestarts: 0, diskErrors: 0, partitions: { months: 0, open: 0, damaged: [] }, damagedFiles: [], lastError: null,
  },
  ...over,
});

describe('StatusBannerView', () => {
  afterEach(cleanup);

  it('shows nothing while the daemon records normally', () => {
    render(<StatusBannerView status={base()} />);
    expect(screen.queryByTestId('status-banner')).toBeNull();
  });

  it('raises an alert with every problem when the daemon cannot record', () => {
    const message = 'Not recording: the request store cannot be opened (ENOSPC: no space left on device). Requests are still forwarded; CCO keeps trying and starts recording when it can.';
    render(
      <StatusBannerView
        status={base({
          status: 'error',
          message,
          problems: [
            { code: 'store-standby', severity: 'error', message, since: '2026-12-07T04:00:00.000Z' },
            { code: 'month-damaged', severity: 'error', message: 'The month file 2026-10 was damaged', since: '2026-12-07T04:00:00.000Z', file: '/d/months/2026-10.sqlite' },
          ],
        })}
      />,
    );
    const banner = screen.getByRole('alert');
    expect(banner.textContent).toContain('CCO has a problem recording requests');
    expect(banner.textContent).toContain('ENOSPC');
    expect([...banner.querySelectorAll('li')].map((li) => li.getAttribute('data-code'))).toEqual(['store-standby', 'month-damaged']);
  });

  it('a warning is a status, not an alert', () => {
    render(<StatusBannerView status={base({ status: 'warning', message: 'restarting', problems: [{ code: 'worker-restarted', severity: 'warning', message: 'The store worker stopped and is being restarted; records wait in the journal.', since: '2026-12-07T04:00:00.000Z' }] })} />);
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('status').textContent).toContain('CCO needs attention');
  });
});
