/**
 * What marks the PostgreSQL team store, in a module of its own: the API checks it (`?user=` needs the team
 * store) in every daemon, and importing the store for an `instanceof` evaluated `pg` at every start.
 */
export const TEAM_STORE: unique symbol = Symbol('cco.teamStore');

/** True for the PostgreSQL team store (PgStore sets the mark). */
export function isTeamStore(store: object): boolean {
  return (store as { [TEAM_STORE]?: unknown })[TEAM_STORE] === true;
}
