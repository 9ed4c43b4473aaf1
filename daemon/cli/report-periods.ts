/**
 * Calendar periods for `cco report daily|weekly|monthly`: the local days, Monday-first weeks or months
 * (in an IANA time zone, DST included) that cover [from, to), each clipped to it. Pure.
 */
import { addDays, localDate, startOfLocalDay, type LocalDate } from '../store/tz.ts';

export type PeriodUnit = 'day' | 'week' | 'month';

export interface Period {
  /** `YYYY-MM-DD` (a day, or the Monday that starts a week) or `YYYY-MM` (a month). */
  label: string;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
}

const two = (n: number) => String(n).padStart(2, '0');
export const dateLabel = (d: LocalDate) => `${d.year}-${two(d.month)}-${two(d.day)}`;

/** The first local date of the period containing `d`. */
function periodStart(d: LocalDate, unit: PeriodUnit): LocalDate {
  if (unit === 'day') return d;
  if (unit === 'month') return { year: d.year, month: d.month, day: 1 };
  const weekday = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay(); // 0 = Sunday
  return addDays(d, -((weekday + 6) % 7));
}

function nextStart(d: LocalDate, unit: PeriodUnit): LocalDate {
  if (unit === 'day') return addDays(d, 1);
  if (unit === 'week') return addDays(d, 7);
  return d.month === 12 ? { year: d.year + 1, month: 1, day: 1 } : { year: d.year, month: d.month + 1, day: 1 };
}

/** Periods covering [from, to), oldest first, clipped to the range. */
export function splitPeriods(from: number, to: number, tz: string, unit: PeriodUnit): Period[] {
  const out: Period[] = [];
  let start = periodStart(localDate(from, tz), unit);
  while (out.length < 100_000) {
    const next = nextStart(start, unit);
    const a = startOfLocalDay(start, tz);
    const b = startOfLocalDay(next, tz);
    if (a >= to) break;
    const label = unit === 'month' ? `${start.year}-${two(start.month)}` : dateLabel(start);
    out.push({ label, from: Math.max(a, from), to: Math.min(b, to) });
    start = next;
  }
  return out;
}

/**
 * A `--since`/`--until` date: `YYYY-MM-DD` or `YYYYMMDD` (ccusage's form), a local date in `tz`. Gives its
 * local midnight; `end` gives the next day's (an `--until` day is included whole). Null when malformed.
 */
export function parseDate(text: string, tz: string, end = false): number | null {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  const check = new Date(Date.UTC(d.year, d.month - 1, d.day));
  if (check.getUTCMonth() !== d.month - 1 || check.getUTCDate() !== d.day) return null;
  return startOfLocalDay(end ? addDays(d, 1) : d, tz);
}
