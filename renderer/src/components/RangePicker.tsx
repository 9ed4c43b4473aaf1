/** Range picker: today, 7 days, 30 days, this month, all, custom (date inputs, local time). */
import { useState } from 'react';
import type { RangeQuery } from '../api/client.ts';

const PRESETS: { value: Exclude<RangeQuery['range'], 'custom'>; label: string }[] = [
  { value: 'today', label: 'Today' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: 'month', label: 'This month' },
  { value: 'all', label: 'All' },
];

function toDateInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** Local-midnight epoch ms of a yyyy-mm-dd input value. */
export function fromDateInput(v: string): number {
  const [y, m, d] = v.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1).getTime();
}

/** `disabled`: the daemon is not reachable, so a new range could not be loaded (the dashboard says why). */
export function RangePicker({ value, onChange, disabled = false }: { value: RangeQuery; onChange: (q: RangeQuery) => void; disabled?: boolean }) {
  const now = Date.now();
  const [from, setFrom] = useState(toDateInput(value.range === 'custom' ? value.from : now - 6 * 86_400_000));
  const [to, setTo] = useState(toDateInput(value.range === 'custom' ? value.to - 1 : now));
  const applyCustom = (f: string, t: string) => {
    const a = fromDateInput(f);
    const b = fromDateInput(t) + 86_400_000; // inclusive end date
    if (b > a) onChange({ range: 'custom', from: a, to: b });
  };
  return (
    <div className="range-picker" role="radiogroup" aria-label="Time range">
      {PRESETS.map((p) => (
        <button
          key={p.value}
          type="button"
          role="radio"
          aria-checked={value.range === p.value}
          className={value.range === p.value ? 'seg active' : 'seg'}
          disabled={disabled}
          onClick={() => onChange({ range: p.value })}
        >
          {p.label}
        </button>
      ))}
      <button
        type="button"
        role="radio"
        aria-checked={value.range === 'custom'}
        className={value.range === 'custom' ? 'seg active' : 'seg'}
        disabled={disabled}
        onClick={() => applyCustom(from, to)}
      >
        Custom
      </button>
      {value.range === 'custom' && (
        <span className="custom-range">
          <label>
            From{' '}
            <input type="date" value={from} disabled={disabled} onChange={(e) => (setFrom(e.target.value), applyCustom(e.target.value, to))} />
          </label>
          <label>
            To <input type="date" value={to} disabled={disabled} onChange={(e) => (setTo(e.target.value), applyCustom(from, e.target.value))} />
          </label>
        </span>
      )}
    </div>
  );
}
