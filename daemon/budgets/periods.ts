/** Budget periods in a time zone: the day, the week (Monday first) and the month containing an instant. */
import type { BudgetPeriod } from '../../shared/contract.ts';
import { addDays, localDate, startOfDayContaining, startOfLocalDay, startOfMonthContaining, startOfNextDay } from '../store/tz.ts';

export interface Period {
  start: number;
  end: number;
}

export function periodContaining(period: BudgetPeriod, t: number, tz: string): Period {
  if (period === 'daily') return { start: startOfDayContaining(t, tz), end: startOfNextDay(t, tz) };
  const d = localDate(t, tz);
  if (period === 'weekly') {
    const dow = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay(); // 0 = Sunday
    const monday = addDays(d, -((dow + 6) % 7));
    return { start: startOfLocalDay(monday, tz), end: startOfLocalDay(addDays(monday, 7), tz) };
  }
  const next = new Date(Date.UTC(d.year, d.month, 1)); // month is 1-based: this is the 1st of the next month
  return { start: startOfMonthContaining(t, tz), end: startOfLocalDay({ year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: 1 }, tz) };
}
