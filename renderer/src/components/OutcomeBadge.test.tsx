import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { OutcomeBadge } from './OutcomeBadge.tsx';

afterEach(cleanup);

describe('OutcomeBadge', () => {
  it('shows an upstream error in red with its status, not a green complete', () => {
    render(
      <>
        <OutcomeBadge record={{ status: 429, state: 'complete' }} />
        <OutcomeBadge record={{ status: 200, state: 'complete' }} />
      </>,
    );
    expect(screen.getByText('429 rate limited').className).toBe('state state-error');
    expect(screen.getByText('complete').className).toBe('state state-complete');
  });
});
