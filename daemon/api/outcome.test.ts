import { describe, expect, it } from 'vitest';
import { requestOutcome } from './outcome.ts';

describe('requestOutcome', () => {
  it('an upstream HTTP error is an error with its status, even when the stream state is complete', () => {
    expect(requestOutcome({ status: 429, state: 'complete' })).toEqual({ kind: 'error', label: '429 rate limited' });
    expect(requestOutcome({ status: 529, state: 'complete' })).toEqual({ kind: 'error', label: '529 overloaded' });
    expect(requestOutcome({ status: 400, state: 'upstream_error' })).toEqual({ kind: 'error', label: '400 invalid request' });
    expect(requestOutcome({ status: 599, state: 'complete' })).toEqual({ kind: 'error', label: '599 server error' });
    expect(requestOutcome({ status: 418, state: 'complete' })).toEqual({ kind: 'error', label: '418 client error' });
  });
  it('other requests keep their state', () => {
    expect(requestOutcome({ status: 200, state: 'complete' })).toEqual({ kind: 'complete', label: 'complete' });
    expect(requestOutcome({ status: null, state: 'client_aborted' })).toEqual({ kind: 'client_aborted', label: 'client aborted' });
  });
});
