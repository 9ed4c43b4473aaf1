import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import type { ImportStatus, ReconcileReport, ReconcileRow } from '../../../shared/contract.ts';
import { ImportNotice, ImportProgressBar, ReconcileView } from './HistoryPanel.tsx';

const row = (both: number, proxyOnly: number, transcriptOnly: number): ReconcileRow => ({
  both: { requests: both, costNanoUsd: both * 1e9 },
  proxyOnly: { requests: proxyOnly, costNanoUsd: proxyOnly * 1e8 },
  transcriptOnly: { requests: transcriptOnly, costNanoUsd: transcriptOnly * 2e9 },
  tokenDiff: { input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 12 },
  pairsDiffering: 2,
});
const report = (transcriptOnly: number): ReconcileReport => ({
  range: '7d', tz: 'UTC', from: '2026-11-27T00:00:00.000Z', to: '2026-12-03T10:00:00.000Z',
  totals: row(5, 3, transcriptOnly), allThroughProxy: transcriptOnly === 0,
  byDayModel: [{ day: '2026-12-01', model: 'claude-sonnet-4-5', ...row(5, 3, transcriptOnly) }],
  byProject: [{ project: '/p', ...row(5, 3, transcriptOnly) }],
  proxyOnlyReasons: [{ reason: 'title-or-side-call', requests: 2, costNanoUsd: 2e8 }, { reason: 'subagent', requests: 1, costNanoUsd: 1e8 }],
  transcriptOnlySessions: transcriptOnly ? [{ sessionId: 's1', project: '/bypass', requests: transcriptOnly, costNanoUsd: transcriptOnly * 2e9 }] : [],
});
const status = (over: Partial<ImportStatus>): ImportStatus => ({ running: false, progress: null, last: null, firstImport: null, following: true, ...over });

describe('HistoryPanel parts', () => {
  afterEach(() => {
    cleanup();
    localStorage.clear();
  });

  it('answers "is everything going through CCO?" and lists why each side missed requests', () => {
    render(<ReconcileView report={report(4)} />);
    expect(screen.getByTestId('reconcile-answer').textContent).toBe('4 requests in your transcripts did not go through CCO.');
    expect(screen.getByTestId('reconcile-proxy-only').textContent).toContain('title / side calls (no project): 2');
    expect(screen.getByTestId('reconcile-proxy-only').textContent).toContain('subagent requests without a transcript record: 1');
    expect(screen.getByTestId('reconcile-transcript-only').textContent).toContain('/bypass: 4');
    expect(screen.getByText(/2 differ/).textContent).toContain('output +12');
    cleanup();
    render(<ReconcileView report={report(0)} />);
    expect(screen.getByTestId('reconcile-answer').textContent).toBe('Everything in your Claude Code transcripts went through CCO.');
  });

  it('shows import progress only while running, and the first-import notice until dismissed', () => {
    const { rerender } = render(<ImportProgressBar status={status({ running: true, progress: { filesDone: 2, filesTotal: 4, bytesDone: 50 * 1048576, bytesTotal: 100 * 1048576, startedAt: 0, imported: 1200 } })} />);
    expect(screen.getByTestId('import-progress').textContent).toContain('2/4 files, 50/100 MB');
    expect((screen.getByRole('progressbar') as HTMLProgressElement).value).toBe(50);
    rerender(<ImportProgressBar status={status({ running: false })} />);
    expect(screen.queryByTestId('import-progress')).toBeNull();

    const done = status({ firstImport: { imported: 1234, finishedAt: 42 } });
    const notice = render(<ImportNotice status={done} />);
    expect(screen.getByTestId('import-notice').textContent).toContain('Imported 1,234 requests from your Claude Code history.');
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByTestId('import-notice')).toBeNull();
    notice.unmount();
    render(<ImportNotice status={done} />);
    expect(screen.queryByTestId('import-notice')).toBeNull(); // remembered
    cleanup();
    render(<ImportNotice status={status({ firstImport: { imported: 0, finishedAt: 43 } })} />);
    expect(screen.queryByTestId('import-notice')).toBeNull(); // nothing imported, nothing to say
  });
});
