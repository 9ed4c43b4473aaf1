import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import type { CcoBridge, UpdateState, UpdateStatus } from '../../../shared/bridge.ts';
import { UpdateBanner } from './UpdateBanner.tsx';

function fakeUpdates(initial: UpdateState) {
  const calls: string[] = [];
  let listener: ((s: UpdateStatus) => void) | null = null;
  const status = (state: UpdateState): UpdateStatus => ({ state, channel: 'stable', currentVersion: '2026.1122.0', lastCheckAt: 1 });
  const updates: NonNullable<CcoBridge['updates']> = {
    status: async () => status(initial),
    check: async () => (calls.push('check'), status({ kind: 'checking' })),
    download: async () => (calls.push('download'), status({ kind: 'downloading', version: '2026.1201.0', percent: 0, transferred: 0, total: 10, bytesPerSecond: 0 })),
    install: async () => void calls.push('install'),
    onStatus: (l) => ((listener = l), () => (listener = null)),
  };
  return { updates, calls, push: (state: UpdateState) => act(() => listener?.(status(state))) };
}

describe('UpdateBanner', () => {
  afterEach(cleanup);

  it('walks available → Download → progress → Restart to install', async () => {
    const { updates, calls, push } = fakeUpdates({ kind: 'available', version: '2026.1201.0', releaseName: null, releaseDate: null });
    render(<UpdateBanner updates={updates} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Download' }));
    expect(calls).toEqual(['download']);
    push({ kind: 'downloading', version: '2026.1201.0', percent: 42, transferred: 4, total: 10, bytesPerSecond: 1 });
    expect((screen.getByRole('progressbar', { name: 'Update download' }) as HTMLProgressElement).value).toBe(42);
    push({ kind: 'downloaded', version: '2026.1201.0' });
    fireEvent.click(screen.getByRole('button', { name: 'Restart to install' }));
    expect(calls).toEqual(['download', 'install']);
  });

  it('shows a failure and lets the user retry; nothing when idle or in the browser', async () => {
    const { updates, calls } = fakeUpdates({ kind: 'error', during: 'download', message: 'The downloaded update failed its checksum and was discarded.', code: 'ERR_CHECKSUM_MISMATCH' });
    render(<UpdateBanner updates={updates} />);
    expect((await screen.findByRole('alert')).textContent).toContain('failed its checksum');
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(calls).toEqual(['download']);
    cleanup();
    const { container } = render(<UpdateBanner updates={undefined} />);
    expect(container.innerHTML).toBe('');
  });
});
