/**
 * Time-zone arithmetic for summaries, using only Intl (no tz database of our own).
 * All instants are epoch milliseconds; "local" means wall-clock time in the given IANA zone.
 */

export interface LocalDate {
  year: number;
  month: number; // 1-12
  day: number; // 1-31
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    // Throws RangeError for an unknown zone: callers surface that as a bad request.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True when `tz` is a zone name Intl accepts. */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

interface WallClock extends LocalDate {
  hour: number;
  minute: number;
  second: number;
}

function wallClockIntl(t: number, tz: string): WallClock {
  const out: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(t))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return {
    year: out.year ?? 1970,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

function offsetIntl(t: number, tz: string): number {
  const w = wallClockIntl(t, tz);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(t / 1000) * 1000;
}

const HOUR = 3_600_000;
/** Per zone: UTC hour start → the zone's offset during that whole hour (hours holding a transition are not cached). */
const hourOffsets = new Map<string, Map<number, number>>();
const MAX_CACHED_HOURS = 100_000; // ~11 years of hours per zone, a few MB at most

/**
 * Offset of `tz` at `t`. Intl is slow (~3 µs a call), so the offset is cached per UTC hour: an hour whose
 * first and last second have the same offset has it throughout (zones change offset at most once an hour).
 */
function offsetAt(t: number, tz: string): number {
  const hour = Math.floor(t / HOUR) * HOUR;
  let cache = hourOffsets.get(tz);
  const hit = cache?.get(hour);
  if (hit !== undefined) return hit;
  const first = offsetIntl(hour, tz);
  const last = offsetIntl(hour + HOUR - 1000, tz);
  if (first !== last) return offsetIntl(t, tz);
  if (!cache) hourOffsets.set(tz, (cache = new Map()));
  if (cache.size >= MAX_CACHED_HOURS) cache.clear();
  cache.set(hour, first);
  return first;
}

function wallClock(t: number, tz: string): WallClock {
  // the wall clock is UTC shifted by the offset, at whole-second precision (as Intl shows it)
  const u = new Date(Math.floor(t / 1000) * 1000 + offsetAt(t, tz));
  return {
    year: u.getUTCFullYear(),
    month: u.getUTCMonth() + 1,
    day: u.getUTCDate(),
    hour: u.getUTCHours(),
    minute: u.getUTCMinutes(),
    second: u.getUTCSeconds(),
  };
}

/** Offset of `tz` from UTC at instant `t`, in ms (e.g. +3_600_000 for CET in winter). */
export function tzOffsetMs(t: number, tz: string): number {
  return offsetAt(t, tz);
}

/** The local calendar date of instant `t` in `tz`. */
export function localDate(t: number, tz: string): LocalDate {
  const w = wallClock(t, tz);
  return { year: w.year, month: w.month, day: w.day };
}

function sameDate(a: LocalDate, b: LocalDate): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day;
}

/** Normalises an out-of-range date (day 0, day 32, month 13) through the proleptic Gregorian calendar. */
export function addDays(d: LocalDate, days: number): LocalDate {
  const u = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return { year: u.getUTCFullYear(), month: u.getUTCMonth() + 1, day: u.getUTCDate() };
}

/**
 * First instant of local date `d` in `tz` (local midnight). Where a DST jump skips midnight, this is the
 * first instant that exists on that date.
 */
export function startOfLocalDay(d: LocalDate, tz: string): number {
  // memoised per zone: a year of day buckets costs ~1,500 offset look-ups and Date objects otherwise
  let memo = dayStarts.get(tz);
  if (!memo) dayStarts.set(tz, (memo = new Map()));
  const key = d.year * 10_000 + d.month * 100 + d.day;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const t = computeStartOfLocalDay(d, tz);
  if (memo.size >= MAX_CACHED_HOURS) memo.clear();
  memo.set(key, t);
  return t;
}

/** Per zone: local date key → its first instant (startOfLocalDay). */
const dayStarts = new Map<string, Map<number, number>>();

function computeStartOfLocalDay(d: LocalDate, tz: string): number {
  const guess = Date.UTC(d.year, d.month - 1, d.day);
  const t1 = guess - tzOffsetMs(guess, tz);
  const t2 = guess - tzOffsetMs(t1, tz);
  const candidates = [t1, t2].filter((t) => sameDate(localDate(t, tz), d)).sort((a, b) => a - b);
  const best = candidates[0];
  if (best !== undefined) return best;
  // Neither candidate lands on the date (cannot happen for real zones); fall back to the UTC guess.
  return guess;
}

/** Local midnight of the day containing `t`. */
export function startOfDayContaining(t: number, tz: string): number {
  return startOfLocalDay(localDate(t, tz), tz);
}

/** Local midnight `n` days before the day containing `t` (n = 0 → that day). */
export function startOfDaysAgo(t: number, n: number, tz: string): number {
  return startOfLocalDay(addDays(localDate(t, tz), -n), tz);
}

/** Local midnight of the first day of the month containing `t`. */
export function startOfMonthContaining(t: number, tz: string): number {
  const d = localDate(t, tz);
  return startOfLocalDay({ year: d.year, month: d.month, day: 1 }, tz);
}

/** Local midnight of the day after the day containing `t`. */
export function startOfNextDay(t: number, tz: string): number {
  return startOfLocalDay(addDays(localDate(t, tz), 1), tz);
}
