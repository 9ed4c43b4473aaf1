import { describe, expect, it } from 'vitest';
import { decodeTime } from 'ulid';
import { newRecordId } from './ids.ts';

describe('newRecordId', () => {
  it('makes valid, unique ULIDs carrying the given time', () => {
    const t = Date.UTC(2026, 10, 22, 12);
    const ids = Array.from({ length: 5000 }, () => newRecordId(t));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 10)) {
      expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(decodeTime(id)).toBe(t);
    }
    expect(newRecordId(t + 1) > ids[ids.length - 1]!).toBe(true);
  });
});
