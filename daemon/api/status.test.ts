import { describe, expect, it } from 'vitest';
import type { StoreHealth, StoreStats } from '../store/index.ts';
import { TEAM_OFF } from '../team/team-off.ts';
import { buildStatus, readiness } from './status.ts';

const AT = Date.UTC(2026, 11, 7, 4, 0);
const health = (over: Partial<StoreHealth> = {}): StoreHealth => ({
  kind: 'sqlite', workerUp: true, journalWritable: true, pendingRecords: 0, diskErrors: 0, damaged: [], journalGap: null, standby: null, lastError: null, ...over,
});
const stats = (over: Partial<StoreStats> = {}): StoreStats => ({
  requests: 50, months: 3, openMonths: 1, journalBytes: 1234, lastSnapshotAt: AT, droppedWrites: 0, workerRestarts: 0,
  worker: { heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }, ...over,
});
const input = (h: StoreHealth, s: StoreStats | null = stats()) => ({ health: h, stats: s, version: '1.2.3', uptimeSeconds: 5, recordingEnabled: true, startedAt: AT });

describe('buildStatus / readiness', () => {
  it('ok: no problems, the store figures', () => {
    const st = buildStatus(input(health()));
    expect(st).toMatchObject({ status: 'ok', message: null, problems: [], store: { kind: 'sqlite', ready: true, requests: 50, journal: { writable: true, bytes: 1234 }, partitions: { months: 3, open: 1, damaged: [] }, snapshot: { lastAt: new Date(AT).toISOString() } } });
    expect(readiness(health())).toEqual({ ready: true });
  });

  it('errors first: a full journal, dropped records, a damaged month, a journal gap; a restarting worker is a warning', () => {
    const h = health({
      workerUp: false,
      journalWritable: false,
      pendingRecords: 7,
      diskErrors: 3,
      lastError: { message: 'journal write failed (ENOSPC: no space left on device)', at: AT },
      damaged: [{ kind: 'month', month: '2026-10', file: '/d/months/2026-10.sqlite', movedTo: '/d/months/2026-10.sqlite.corrupt-1', reason: 'malformed', at: AT }],
      journalGap: 'cco.sqlite is missing and the journal starts at segment 9',
    });
    const st = buildStatus(input(h, stats({ droppedWrites: 2 })));
    expect(st.status).toBe('error');
    expect(st.problems.map((p) => [p.code, p.severity])).toEqual([
      ['journal-unwritable', 'error'],
      ['month-damaged', 'error'],
      ['journal-gap', 'error'],
      ['records-dropped', 'error'],
      ['worker-restarted', 'warning'],
    ]);
    expect(st.message).toMatch(/ENOSPC.*7 record\(s\) are kept in memory/);
    expect(st.store).toMatchObject({ ready: false, diskErrors: 3, droppedWrites: 2, partitions: { damaged: ['2026-10'] }, journal: { pendingRecords: 7 } });
    expect(readiness(h).ready).toBe(false);
  });

  it('a user token sees the problems, not everyone\'s request count nor the server\'s file paths', () => {
    const h = health({
      damaged: [{ kind: 'month', month: '2026-10', file: '/srv/cco/months/2026-10.sqlite', movedTo: '/srv/cco/months/2026-10.sqlite.corrupt-1', reason: 'malformed', at: AT }],
    });
    const admin = buildStatus({ ...input(h), viewer: { kind: 'admin' } });
    expect(admin.store.requests).toBe(50);
    expect(JSON.stringify(admin)).toContain('/srv/cco/months');
    const alice = buildStatus({ ...input(h), viewer: { kind: 'user', user: 'alice' } });
    expect(alice.store).not.toHaveProperty('requests');
    expect(alice.store.damagedFiles).toEqual([]);
    expect(alice.problems).toEqual([{ code: 'month-damaged', severity: 'error', since: new Date(AT).toISOString(), message: 'The month file 2026-10 was damaged (malformed) and moved aside; its requests are no longer listed (its totals are kept).' }]);
    expect(alice.status).toBe('error');
    expect(JSON.stringify(alice)).not.toContain('/srv/cco');
  });

  it('a team database a newer CCO migrated: one team-schema-newer warning (not team-unreachable), from the shipper or the PostgreSQL store', () => {
    const newerSchema = { database: 9, supported: 8, migratedBy: '2099.101.0', since: new Date(AT).toISOString() };
    const team = { ...TEAM_OFF, enabled: true, waiting: 4, lastError: 'database schema version 9 is newer than this CCO supports (8)', failures: 3, failingSince: new Date(AT).toISOString(), newerSchema };
    const want = {
      code: 'team-schema-newer',
      severity: 'warning',
      since: newerSchema.since,
      message: 'The team database was upgraded to schema 9 by CCO 2099.101.0; this CCO (1.2.3) knows schema 8, so it writes nothing there (4 record(s) wait on disk). Restart it with CCO 2099.101.0 or newer to write them.',
    };
    const federated = buildStatus({ ...input(health()), team });
    expect(federated.status).toBe('warning');
    expect(federated.problems).toEqual([want]);
    const central = buildStatus(input(health({ kind: 'postgres', newerSchema, lastError: { message: team.lastError, at: AT } }), { ...stats(), outboxWaiting: 4 } as StoreStats));
    expect(central.problems).toEqual([want]);
    // an older store (no newer schema): no such problem
    expect(buildStatus({ ...input(health()), team: { ...team, newerSchema: null } }).problems.map((p) => p.code)).toEqual(['team-unreachable']);
  });

  it('standby: not recording, and stats may be missing (the worker did not answer)', () => {
    const h = health({ kind: 'standby', workerUp: false, journalWritable: false, standby: { reason: 'EISDIR: illegal operation on a directory', since: AT } });
    const st = buildStatus(input(h, null));
    expect(st.problems).toHaveLength(1);
    expect(st.problems[0]).toMatchObject({ code: 'store-standby', severity: 'error', since: new Date(AT).toISOString() });
    expect(readiness(h)).toEqual({ ready: false, reason: 'not recording: the request store cannot be opened (EISDIR: illegal operation on a directory)' });
    expect(st.store.requests).toBe(0);
  });

  it('opening: a warning saying what the open does and where the records are held; a user is not told the path', () => {
    const h = health({
      workerUp: false,
      journalWritable: false,
      pendingRecords: 4,
      opening: { since: AT, step: 'migrating cco.sqlite from schema 8 to 9' },
      held: { records: 4, file: '/d/held/held-1-2.ndjson', inMemory: 0, dropped: 0 },
    });
    const st = buildStatus(input(h, null));
    expect(st.status).toBe('warning');
    expect(st.problems).toHaveLength(1);
    expect(st.problems[0]).toMatchObject({ code: 'store-opening', severity: 'warning', since: new Date(AT).toISOString() });
    expect(st.message).toMatch(/^The request store is opening \(migrating cco\.sqlite from schema 8 to 9, \d+ s so far\)\. Requests are forwarded; 4 record\(s\) held on disk in \/d\/held\/held-1-2\.ndjson, stored once it is open\.$/);
    expect(readiness(h)).toEqual({ ready: false, reason: 'the request store is opening (migrating cco.sqlite from schema 8 to 9); requests are forwarded and recorded once it is open' });
    const forUser = buildStatus({ ...input(h, null), viewer: { kind: 'user', user: 'ann' } });
    expect(forUser.message).toContain('4 record(s) held on disk, stored once it is open');
    // no held file could be created: memory, said plainly
    const mem = buildStatus(input(health({ ...h, held: { records: 2, file: null, inMemory: 2, dropped: 0 } }), null));
    expect(mem.message).toContain('2 record(s) held in memory (lost if CCO stops first)');
  });
});
