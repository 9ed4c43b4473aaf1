/**
 * The browser's IANA time zone for summary requests, plus the zone seen on the last visit.
 *
 * The first Intl call in a fresh renderer process loads ICU data: 12–50 ms measured in Chromium before
 * a single request could start. The first requests therefore use the zone remembered from the last visit
 * (localStorage, no Intl). Every later request asks Intl: when the zone is unchanged the primed response
 * is taken (same URL); when it changed (travel, settings) the URLs differ, so the view simply requests
 * again with the right zone, and the new zone is remembered.
 */
const KEY = 'cco.tz';
let stored: string | null | undefined;

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // storage disabled (opaque origins, privacy settings)
  }
}

/** The zone of the last visit, read without touching Intl; null on a first visit or without storage. */
export function rememberedTimeZone(): string | null {
  if (stored === undefined) {
    try {
      stored = storage()?.getItem(KEY) ?? null;
    } catch {
      stored = null;
    }
  }
  return stored;
}

/** The zone Intl reports now ('UTC' if none), remembered for the next visit. */
export function localTimeZone(): string {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  if (tz !== rememberedTimeZone()) {
    stored = tz;
    try {
      storage()?.setItem(KEY, tz);
    } catch {
      /* full or disabled: the next visit asks Intl first */
    }
  }
  return tz;
}
