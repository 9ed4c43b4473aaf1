import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, retryAfterMs } from './retry-after.ts';

describe('retryAfterMs', () => {
  it.each([
    ['3', 3000],
    [' 0 ', 0],
    ['3541', MAX_RETRY_AFTER_MS],
    [null, 1000],
    ['', 1000],
    ['soon', 1000],
    ['Thu, 01 Jan 1970 00:00:05 GMT', 5000],
    ['Thu, 01 Jan 1970 00:00:00 GMT', 0],
  ])('%s → %d ms', (value, ms) => {
    expect(retryAfterMs(value, 0)).toBe(ms);
  });
});
