import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import type { RangeQuery } from '../api/client.ts';
import { fromDateInput, RangePicker } from './RangePicker.tsx';

function Harness({ seen }: { seen: RangeQuery[] }) {
  const [q, setQ] = useState<RangeQuery>({ range: '7d' });
  return (
    <RangePicker
      value={q}
      onChange={(n) => {
        seen.push(n);
        setQ(n);
      }}
    />
  );
}

describe('RangePicker', () => {
  afterEach(cleanup);

  it('exposes the presets as a radio group with the current one checked', () => {
    render(<Harness seen={[]} />);
    expect(screen.getByRole('radiogroup', { name: 'Time range' })).toBeTruthy();
    expect(screen.getByRole('radio', { name: '7 days' }).getAttribute('aria-checked')).toBe('true');
    fireEvent.click(screen.getByRole('radio', { name: 'This month' }));
    expect(screen.getByRole('radio', { name: 'This month' }).getAttribute('aria-checked')).toBe('true');
  });

  it('turns custom dates into an inclusive local-day span', () => {
    const seen: RangeQuery[] = [];
    render(<Harness seen={seen} />);
    fireEvent.click(screen.getByRole('radio', { name: 'Custom' }));
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-11-01' } });
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2026-11-03' } });
    const last = seen[seen.length - 1]!;
    expect(last).toEqual({ range: 'custom', from: fromDateInput('2026-11-01'), to: fromDateInput('2026-11-04') });
    expect(new Date(fromDateInput('2026-11-01')).getHours()).toBe(0);
  });

  it('ignores an end date before the start', () => {
    const seen: RangeQuery[] = [];
    render(<Harness seen={seen} />);
    fireEvent.click(screen.getByRole('radio', { name: 'Custom' }));
    const n = seen.length;
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-11-10' } });
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2026-11-01' } });
    expect(seen.slice(n).every((q) => q.range !== 'custom' || q.to > q.from)).toBe(true);
  });
});
