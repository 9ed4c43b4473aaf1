import type { TeamStatus } from '../../shared/contract.ts';

/** GET /api/team when federated team mode is off (no `[team] url`). */
export const TEAM_OFF: TeamStatus = {
  enabled: false,
  target: null,
  user: null,
  waiting: 0,
  outboxBytes: 0,
  shipped: 0,
  duplicates: 0,
  lastShippedAt: null,
  lastError: null,
  failures: 0,
  failingSince: null,
  refused: 0,
  newerSchema: null,
};
