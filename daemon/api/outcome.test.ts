import { describe, expect, it } from 'vitest';
import { errorKind, errorKindLabel, matchesStateFilter, requestOutcome } from './outcome.ts';

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

describe('errorKind / matchesStateFilter', () => {
  it('an HTTP error status is the kind, else a failed state, else none', () => {
    expect(errorKind({ status: 429, state: 'complete' })).toBe('429');
    expect(errorKind({ status: 529, state: 'error_event' })).toBe('529');
    expect(errorKind({ status: null, state: 'upstream_error' })).toBe('upstream_error');
    expect(errorKind({ status: 200, state: 'error_event' })).toBe('error_event');
    expect(errorKind({ status: 200, state: 'complete' })).toBeNull();
    expect(errorKind({ status: 200, state: 'truncated' })).toBeNull();
    expect(errorKind({ status: null, state: 'client_aborted' })).toBeNull();
  });
  it("'errors' matches every failure; a state matches itself", () => {
    expect(matchesStateFilter('errors', { status: 429, state: 'complete' })).toBe(true);
    expect(matchesStateFilter('errors', { status: 200, state: 'complete' })).toBe(false);
    expect(matchesStateFilter('complete', { status: 429, state: 'complete' })).toBe(true);
    expect(matchesStateFilter('truncated', { status: 200, state: 'complete' })).toBe(false);
  });
  it('labels kinds in words', () => {
    expect(errorKindLabel('429')).toBe('429 rate limited');
    expect(errorKindLabel('upstream_error')).toBe('upstream error');
  });
});

describe('refusals', () => {
  it("CCO's own budget refusal is its own kind and label, apart from the upstream's 400s", () => {
    expect(errorKind({ status: 400, state: 'refused' })).toBe('refused');
    expect(errorKind({ status: 400, state: 'complete' })).toBe('400');
    expect(requestOutcome({ status: 400, state: 'refused' })).toEqual({ kind: 'refused', label: 'refused by budget' });
    expect(errorKindLabel('refused')).toBe('refused by budget');
    expect(matchesStateFilter('refused', { status: 400, state: 'refused' })).toBe(true);
    expect(matchesStateFilter('errors', { status: 400, state: 'refused' })).toBe(true);
  });
});
