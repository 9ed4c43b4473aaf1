/**
 * GET /api/status and GET /ready from the store's health (synchronous) and stats (from the worker). One
 * problem per thing that is wrong, worst first; `status` is the worst severity.
 */
import type { StatusProblem, StatusResponse, TeamStatus, Viewer } from '../../shared/contract.ts';
import type { StoreHealth, StoreStats } from '../store/index.ts';

export interface StatusInput {
  health: StoreHealth;
  /** Null when the worker did not answer in time. */
  stats: StoreStats | null;
  version: string;
  uptimeSeconds: number;
  recordingEnabled: boolean;
  /** When the daemon started (epoch ms): the `since` of problems known from the start. */
  startedAt: number;
  /** Federated team mode's shipping state, when on. */
  team?: TeamStatus;
  /** Who asked (the token's viewer). */
  viewer?: Viewer;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Whether the store can record now, and why not (GET /ready). */
export function readiness(h: StoreHealth): { ready: boolean; reason?: string } {
  if (h.opening) return { ready: false, reason: `the request store is opening (${h.opening.step}); requests are forwarded and recorded once it is open` };
  if (h.standby) return { ready: false, reason: `not recording: the request store cannot be opened (${h.standby.reason})` };
  if (!h.workerUp) return { ready: false, reason: 'the store worker is not running (restarting)' };
  if (!h.journalWritable) return { ready: false, reason: `the journal cannot be written${h.lastError ? ` (${h.lastError.message})` : ''}` };
  return { ready: true };
}

/** What is held while the store is not open, and where (a user token is not told the server's paths). */
function heldText(h: StoreHealth, user: boolean): string {
  const held = h.held;
  if (!held) return `${h.pendingRecords} record(s) kept in memory`;
  const parts: string[] = [];
  const onDisk = held.records - held.inMemory;
  if (onDisk > 0 || held.file) parts.push(`${onDisk} record(s) held on disk${held.file && !user ? ` in ${held.file}` : ''}`);
  if (held.inMemory > 0 || !held.file) parts.push(`${held.inMemory} record(s) held in memory (lost if CCO stops first)`);
  if (held.dropped > 0) parts.push(`${held.dropped} could not be held`);
  return parts.join(', ');
}

export function buildStatus(i: StatusInput): StatusResponse {
  const h = i.health;
  const s = i.stats;
  const problems: StatusProblem[] = [];
  const errAt = h.lastError ? iso(h.lastError.at) : iso(i.startedAt);
  // A user token (a developer's view of a central gateway) sees that something is wrong, not the server's paths.
  const user = i.viewer?.kind === 'user';
  if (h.opening) {
    const secs = Math.max(0, Math.round((Date.now() - h.opening.since) / 1000));
    problems.push({
      code: 'store-opening',
      severity: 'warning',
      message: `The request store is opening (${h.opening.step}, ${secs} s so far). Requests are forwarded; ${heldText(h, user)}, stored once it is open.`,
      since: iso(h.opening.since),
    });
  } else if (h.standby) {
    problems.push({
      code: 'store-standby',
      severity: 'error',
      message: `Not recording: the request store cannot be opened (${h.standby.reason}). Requests are still forwarded (${heldText(h, user)}); CCO keeps trying and stores them when it can.`,
      since: iso(h.standby.since),
    });
  } else {
    if (!h.journalWritable) {
      problems.push({
        code: 'journal-unwritable',
        severity: 'error',
        message: `The journal cannot be written (${h.lastError?.message ?? 'unknown error'}); ${h.pendingRecords} record(s) are kept in memory and written when there is space.`,
        since: errAt,
      });
    }
    if (!h.workerUp) {
      problems.push({ code: 'worker-restarted', severity: 'warning', message: 'The store worker stopped and is being restarted; records wait in the journal.', since: errAt });
    }
  }
  for (const d of h.damaged) {
    const moved = user ? 'moved aside' : `moved to ${d.movedTo}`;
    problems.push({
      code: d.kind === 'snapshot' ? 'snapshot-damaged' : 'month-damaged',
      severity: 'error',
      message:
        d.kind === 'snapshot'
          ? `cco.sqlite was damaged (${d.reason}) and ${moved}; the store was rebuilt from the journal.`
          : `The month file ${d.month} was damaged (${d.reason}) and ${moved}; its requests are no longer listed (its totals are kept).`,
      since: iso(d.at),
      ...(!user && { file: d.file, movedTo: d.movedTo }),
    });
  }
  if (h.journalGap) problems.push({ code: 'journal-gap', severity: 'error', message: h.journalGap, since: iso(i.startedAt) });
  const dropped = s?.droppedWrites ?? 0;
  if (dropped > 0) problems.push({ code: 'records-dropped', severity: 'error', message: `${dropped} record(s) could not be stored.`, since: errAt });
  const newer = h.newerSchema ?? i.team?.newerSchema ?? null;
  if (newer) {
    const by = newer.migratedBy ? `CCO ${newer.migratedBy}` : 'a newer CCO';
    const waiting = i.team?.newerSchema ? i.team.waiting : s && 'outboxWaiting' in s ? Number(s.outboxWaiting) : undefined;
    problems.push({
      code: 'team-schema-newer',
      severity: 'warning',
      message:
        `The team database was upgraded to schema ${newer.database} by ${by}; this CCO (${i.version}) knows schema ${newer.supported}, ` +
        `so it writes nothing there${waiting === undefined ? '' : ` (${waiting} record(s) wait on disk)`}. Restart it with ${by} or newer to write them.`,
      since: newer.since,
    });
  } else if (i.team?.lastError) {
    problems.push({
      code: 'team-unreachable',
      severity: 'warning',
      message: `The team database is unreachable (${i.team.lastError}); ${i.team.waiting} record(s) wait on disk and are shipped when it is back.`,
      since: i.team.failingSince ?? iso(i.startedAt),
    });
  }
  problems.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  const status = problems.some((p) => p.severity === 'error') ? 'error' : problems.length > 0 ? 'warning' : 'ok';
  return {
    ...(i.team && { team: i.team }),
    ...(i.viewer && { viewer: i.viewer }),
    status,
    message: problems[0]?.message ?? null,
    problems,
    version: i.version,
    uptime: i.uptimeSeconds,
    recordingEnabled: i.recordingEnabled,
    store: {
      kind: h.kind,
      ready: readiness(h).ready,
      workerUp: h.workerUp,
      journal: { writable: h.journalWritable, bytes: s?.journalBytes ?? 0, pendingRecords: h.pendingRecords },
      snapshot: { lastAt: s?.lastSnapshotAt != null ? iso(s.lastSnapshotAt) : null },
      // everyone's count: a user's own figures come from /api/summary, narrowed to them
      ...(!user && { requests: s?.requests ?? 0 }),
      droppedWrites: dropped,
      workerRestarts: s?.workerRestarts ?? 0,
      diskErrors: h.diskErrors,
      partitions: {
        months: s?.months ?? 0,
        open: s?.openMonths ?? 0,
        damaged: h.damaged.filter((d) => d.kind === 'month').map((d) => d.month ?? d.file),
      },
      damagedFiles: user ? [] : h.damaged.map((d) => ({ file: d.file, movedTo: d.movedTo, reason: d.reason, at: iso(d.at) })),
      lastError: h.lastError ? { message: h.lastError.message, at: iso(h.lastError.at) } : null,
    },
  };
}
