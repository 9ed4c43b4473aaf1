/**
 * Burn rate of one unified window from its utilization history, and when it would reach 100 % at that pace.
 * Pure (no clock, no I/O): the daemon, the CLI and the tests pass `now`.
 *
 * The pace is the utilization gained over a recent look-back (1 h for the 5-hour window, a fifth of the window
 * otherwise), measured up to `now` — so idle time since the last request slows the pace, and one burst is
 * averaged over the look-back rather than extrapolated alone. Samples from before the window last reset (the
 * reset time moved, or utilization fell) are not used.
 */
import type { LimitForecast, LimitSample } from '../../shared/contract.ts';

const HOUR = 3_600_000;
/** A reset time that moves by more than this marks a new window (the header's value may jitter slightly). */
const RESET_JITTER_MS = 5 * 60_000;
/** A fall larger than this marks a new window. */
const DROP = 0.005;

/** Nominal length of a window from its name (`5h`, `7d`, `7d_sonnet`, `30m`…); 5 h when unknown. */
export function windowLengthMs(name: string): number {
  const m = /^(\d{1,4})([mhdw])/.exec(name);
  if (!m) return 5 * HOUR;
  const n = Number(m[1]);
  const unit = m[2] === 'm' ? 60_000 : m[2] === 'h' ? HOUR : m[2] === 'd' ? 24 * HOUR : 7 * 24 * HOUR;
  return Math.max(60_000, n * unit);
}

export function lookbackMs(name: string): number {
  const len = windowLengthMs(name);
  return len <= 5 * HOUR ? Math.min(HOUR, len) : len / 5;
}

/** The samples of the window that is current at the end of `samples` (oldest first). */
export function currentWindowSamples(samples: readonly LimitSample[]): LimitSample[] {
  if (samples.length === 0) return [];
  let start = samples.length - 1;
  while (start > 0) {
    const prev = samples[start - 1]!;
    const cur = samples[start]!;
    if (cur.u < prev.u - DROP) break;
    if (cur.resetsAt !== null && prev.resetsAt !== null && Math.abs(cur.resetsAt - prev.resetsAt) > RESET_JITTER_MS) break;
    start--;
  }
  return samples.slice(start);
}

function fmtSpan(ms: number): string {
  const min = Math.round(ms / 60_000);
  return min < 120 ? `${min} min` : `${Math.round(min / 60)} h`;
}

export function forecastWindow(name: string, samples: readonly LimitSample[], now: number, resetsAt: number | null, spendNanoUsd = 0): LimitForecast {
  const base = { window: name, resetsAt, spendNanoUsd };
  const current = currentWindowSamples(samples);
  if (resetsAt !== null && now >= resetsAt) {
    return { ...base, ratePerHour: null, reachesAt: null, confidence: 'none', note: 'the window has reset since the last response' };
  }
  if (current.length === 0) return { ...base, ratePerHour: null, reachesAt: null, confidence: 'none', note: 'no data yet' };
  const last = current[current.length - 1]!;
  if (last.u >= 1) return { ...base, ratePerHour: null, reachesAt: last.t, confidence: 'high', note: 'the limit is reached' };
  if (current.length < 2) return { ...base, ratePerHour: null, reachesAt: null, confidence: 'none', note: '1 sample so far' };

  const lookback = lookbackMs(name);
  // Earliest sample inside the look-back; if only the last one is inside, the one before it.
  let firstIdx = current.findIndex((s) => s.t >= now - lookback);
  if (firstIdx === -1 || firstIdx >= current.length - 1) firstIdx = current.length - 2;
  const first = current[firstIdx]!;
  const span = Math.max(now, last.t) - first.t;
  const used = current.length - firstIdx;
  if (span <= 0) return { ...base, ratePerHour: null, reachesAt: null, confidence: 'none', note: `${used} samples at the same moment` };
  const rate = Math.max(0, (last.u - first.u) / span); // per ms
  let reachesAt: number | null = null;
  if (rate > 0) {
    const at = Math.max(now, last.t) + (1 - last.u) / rate;
    if (resetsAt === null || at < resetsAt) reachesAt = Math.round(at);
  }
  const confidence: LimitForecast['confidence'] = used < 3 || span < lookback / 4 ? 'low' : span < lookback / 2 ? 'medium' : 'high';
  const note = confidence === 'high' ? null : `${used} samples over ${fmtSpan(span)}`;
  return { ...base, ratePerHour: rate * HOUR, reachesAt, confidence, note };
}
