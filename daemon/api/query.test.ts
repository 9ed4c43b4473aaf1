import { describe, expect, it } from 'vitest';
import { summaryQuery } from './query.ts';

describe('summaryQuery tz', () => {
  it('accepts IANA zones and refuses unknown ones, also when asked again (valid zones are remembered)', () => {
    for (let i = 0; i < 2; i++) {
      expect(summaryQuery.safeParse({ tz: 'Europe/Paris' }).success).toBe(true);
      expect(summaryQuery.safeParse({ tz: 'Mars/Olympus_Mons' }).success).toBe(false);
      expect(summaryQuery.safeParse({}).data?.tz).toBe('UTC');
    }
  });
});
