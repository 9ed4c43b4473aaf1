import { describe, expect, it } from 'vitest';
import { TEAM_STORE, isTeamStore } from './brand.ts';

describe('isTeamStore', () => {
  it('is true only for an object carrying the PgStore mark', () => {
    expect(isTeamStore({})).toBe(false);
    expect(isTeamStore({ [TEAM_STORE]: 'yes' })).toBe(false);
    expect(isTeamStore({ [TEAM_STORE]: true })).toBe(true);
    expect(isTeamStore({ [Symbol('cco.teamStore')]: true })).toBe(false); // a look-alike symbol is not the mark
  });
});
