import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { UNPRICED_USAGE_UNREADABLE } from '../../../shared/contract.ts';
import { Money, UnpricedCount } from './Money.tsx';

afterEach(cleanup);

describe('Money', () => {
  it('never shows an unknown cost as $0: unpriced, or usage unreadable with its explanation', () => {
    render(
      <>
        <Money nano={null} />
        <Money nano={null} reason={UNPRICED_USAGE_UNREADABLE} />
        <Money nano={1_500_000_000} />
        <Money nano={1_702_470_000_000} />
        <UnpricedCount count={2} />
      </>,
    );
    expect(screen.getByText('unpriced').getAttribute('title')).toMatch(/No price known/);
    expect(screen.getByText('usage unreadable').getAttribute('title')).toMatch(/usage could not be read/);
    expect(screen.getByText('$1.50')).toBeTruthy();
    expect(screen.getByText('$1,702.47')).toBeTruthy(); // a total is exact, never "$1.7k"
    expect(screen.getByText('+2 unpriced').getAttribute('title')).toMatch(/usage could not be read/);
  });
});
