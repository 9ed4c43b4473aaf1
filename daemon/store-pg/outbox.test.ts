/**
 * The outbox's close against a shipping cycle that fails while close drains (the database down): nothing may
 * ship after close, since the caller ends its pool next. A retry armed by that failure once fired after close,
 * shipped through the ended pool (PgStore.ship took its error for a refused record and dropped each one) and
 * deleted the segment: the records written while the database was down were lost at the next start.
 */
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../shared/contract.ts';
import { tempDir } from '../store/test-fixtures.ts';
import { Outbox } from './outbox.ts';
import { rec } from './test-backends.ts';

const quiet = (): void => undefined;

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
}

describe('Outbox.close', () => {
  it('arms no retry from a cycle that fails while it drains: nothing ships after close, the records stay for the next start', async () => {
    const dir = tempDir();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    let closedAt = -1;
    let firstCall: () => void = () => undefined;
    const called = new Promise<void>((r) => (firstCall = r));
    const ship = async (_records: RequestRecord[]): Promise<void> => {
      calls++;
      if (closedAt >= 0) return; // what an ended pool did: every record "refused", dropped, the segment deleted
      if (calls === 1) {
        firstCall();
        await gate; // the timer's cycle is in flight when close() starts
      }
      throw refused();
    };
    const box = await Outbox.open({ dir, ship, log: quiet, delayMs: 0, retryMinMs: 10, retryMaxMs: 10 });
    for (let i = 0; i < 5; i++) box.append(JSON.stringify(rec({ startedAt: Date.UTC(2026, 6, 1) + i })));
    await called;
    const closing = box.close(2000);
    release();
    await closing;
    closedAt = calls;
    await new Promise((r) => setTimeout(r, 200)); // 20 retry periods
    expect(calls - closedAt).toBe(0);
    const again = await Outbox.open({ dir, ship: async () => undefined, log: quiet });
    try {
      expect(again.waiting()).toBe(5);
    } finally {
      await again.close();
    }
  });

  it('ships nothing after it gave up on a cycle that outlasts its timeout', async () => {
    const dir = tempDir();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let closed = false;
    const shippedAfterClose: number[] = [];
    let firstCall: () => void = () => undefined;
    const called = new Promise<void>((r) => (firstCall = r));
    let calls = 0;
    const ship = async (records: RequestRecord[]): Promise<void> => {
      if (closed) shippedAfterClose.push(records.length);
      if (++calls === 1) {
        firstCall();
        await gate; // a slow first segment: close gives up on it
        throw refused();
      }
    };
    const box = await Outbox.open({ dir, ship, log: quiet, delayMs: 0, retryMinMs: 10, retryMaxMs: 10 });
    const t = Date.UTC(2026, 6, 1);
    for (let i = 0; i < 3; i++) box.append(JSON.stringify(rec({ startedAt: t + i })));
    await called; // segment 1 (3 records) is being shipped; the next records go to segment 2
    for (let i = 0; i < 4; i++) box.append(JSON.stringify(rec({ startedAt: t + 10 + i })));
    await box.close(50);
    closed = true;
    release();
    await new Promise((r) => setTimeout(r, 200));
    expect(shippedAfterClose).toEqual([]);
    const again = await Outbox.open({ dir, ship: async () => undefined, log: quiet });
    try {
      expect(again.waiting()).toBe(7);
    } finally {
      await again.close();
    }
  });
});
