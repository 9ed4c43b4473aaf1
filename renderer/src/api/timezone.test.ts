import { beforeEach, describe, expect, it, vi } from 'vitest';

// Each test loads a fresh copy of the module (it keeps the stored zone in memory).
async function load(): Promise<typeof import('./timezone.ts')> {
  vi.resetModules();
  return import('./timezone.ts');
}

describe('time zone for requests', () => {
  beforeEach(() => localStorage.clear());

  it('knows no zone on a first visit, then remembers the one Intl reports', async () => {
    const tz = await load();
    expect(tz.rememberedTimeZone()).toBeNull();
    const now = tz.localTimeZone();
    expect(now).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
    expect(localStorage.getItem('cco.tz')).toBe(now);
    const next = await load(); // the next visit
    expect(next.rememberedTimeZone()).toBe(now);
  });

  it('replaces a zone remembered from elsewhere (travel) with the current one', async () => {
    localStorage.setItem('cco.tz', 'Pacific/Chatham');
    const tz = await load();
    expect(tz.rememberedTimeZone()).toBe('Pacific/Chatham');
    const now = tz.localTimeZone();
    expect(now).not.toBe('Pacific/Chatham');
    expect(tz.rememberedTimeZone()).toBe(now);
    expect(localStorage.getItem('cco.tz')).toBe(now);
  });
});
