/**
 * `cco report` against a REAL daemon (in-process startDaemon, its PID file in a temporary HOME) over a
 * seeded store: every figure equals what /api/summary answers for the same range, tables fit the width,
 * and a closed pipe ends the real `cco` program quietly.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlocksResponse, RequestRecord, Summary } from '../../shared/contract.ts';
import { blockEntry, buildBlocks } from '../blocks/blocks.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { makeRecord } from '../store/test-fixtures.ts';
import { main } from './main.ts';
import type { Report } from './report.ts';

const BIN = fileURLToPath(new URL('../../bin/cco.js', import.meta.url));
const DAY = 86_400_000;
let home: string;
let env: NodeJS.ProcessEnv;
let daemon: RunningDaemon;
let knownDay: string;
let seeded: RequestRecord[];

async function cco(args: string[], extra: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t), env: { ...env, ...extra } });
  return { code, out, err };
}

async function summary(q: string): Promise<Summary> {
  const res = await fetch(`${daemon.url}/api/summary?${q}`, { headers: { authorization: `Bearer ${daemon.token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Summary;
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-report-home-'));
  env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'), NO_BROWSER: '1', TZ: 'UTC' };
  const dataDir = path.join(home, '.local', 'share', 'cco');
  daemon = await startDaemon({ port: 0, upstreamUrl: 'http://127.0.0.1:9', dataDir, configDir: path.join(home, '.config', 'cco'), log: silentLogger, pidDir: path.join(dataDir, 'pids'), rateLimit: false });
  // 45 days of traffic: two models, two same-named projects, five sessions, some unpriced requests.
  const now = Date.now();
  const records = Array.from({ length: 900 }, (_, i) => {
    const t = now - 60_000 - Math.floor((i / 900) * 45 * DAY);
    return makeRecord({
      startedAt: t,
      endedAt: t + 2000,
      model: i % 3 ? 'claude-sonnet-4-5' : 'claude-opus-4-1',
      project: `/home/u/${i % 4 ? 'a' : 'b'}/my-app`,
      sessionId: `session-${i % 5}`,
      tokens: { input: 10 + i, cacheWrite5m: 100, cacheWrite1h: i % 7, cacheRead: 1000 + i, output: 50 + (i % 13) },
      costNanoUsd: i % 40 === 0 ? null : 1_000_000 + i * 12_345,
      unpricedReason: i % 40 === 0 ? 'unknown model' : null,
    });
  });
  // Two requests a minute apart just now: the active block always has a burn rate.
  records.push(makeRecord({ startedAt: now - 180_000, sessionId: 'session-1' }), makeRecord({ startedAt: now - 120_000, sessionId: 'session-1' }));
  // Three response-cache hits ($0, their would-have-cost in the savings) in session-2.
  for (const k of [1, 2, 3]) records.push(makeRecord({ startedAt: now - k * 3 * DAY, sessionId: 'session-2', cacheHit: true, billable: false, costNanoUsd: 0, cacheSavingsNanoUsd: 500_000_000 }));
  // Known 5-hour windows 60 days ago (UTC): 09:10 and 10:00 → the 09:00 block; 14:30 is past 09:00 + 5 h →
  // the 14:00 block; 20:00 is over 5 h after 14:30 → the 20:00 block. And one error without usage (not billable).
  const day = Math.floor((now - 60 * DAY) / DAY) * DAY;
  const known = [9 * 60 + 10, 10 * 60, 14 * 60 + 30, 20 * 60].map((min) => makeRecord({ startedAt: day + min * 60_000, endedAt: day + min * 60_000 + 1000, costNanoUsd: 2_000_000_000, sessionId: 'known', project: '/home/u/a/my-app' }));
  known.push(makeRecord({ startedAt: day + 3 * 3_600_000, billable: false, status: 529, costNanoUsd: 0 }));
  knownDay = new Date(day).toISOString().slice(0, 10);
  seeded = [...records, ...known];
  await daemon.store.addBulk(seeded);
});
afterAll(async () => {
  await daemon?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('cco report', () => {
  it('daily --json equals /api/summary: the totals for the range, each day for that day', async () => {
    const r = await cco(['report', 'daily', '--json', '--tz', 'UTC']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as Report;
    const whole = await summary('range=30d&tz=UTC&sessions=0');
    // Same range ("to" is the moment of each answer: now).
    expect(report).toMatchObject({ kind: 'daily', range: '30d', from: whole.from, totals: whole.totals });
    expect(report.rows).toHaveLength(30);
    for (const row of report.rows.filter((_, i) => i % 7 === 0 || i === report.rows.length - 1)) {
      const day = await summary(`range=custom&from=${Date.parse(row.from!)}&to=${Date.parse(row.to!)}&tz=UTC&sessions=0`);
      expect(row).toMatchObject({ ...day.totals, models: day.byModel.map((m) => m.key) });
    }
    const cost = report.rows.reduce((a, x) => a + x.costNanoUsd, 0);
    const requests = report.rows.reduce((a, x) => a + x.requests, 0);
    expect([cost, requests]).toEqual([whole.totals.costNanoUsd, whole.totals.requests]);
  });

  it('weekly, monthly, model, project and session agree with /api/summary; --since/--until is a custom range', async () => {
    const all = await summary('range=all&tz=UTC&sessions=1');
    for (const kind of ['weekly', 'monthly'] as const) {
      const report = JSON.parse((await cco(['report', kind, '--json', '--tz', 'UTC'])).out) as Report;
      expect(report.totals).toEqual(all.totals);
      expect(report.rows.reduce((a, x) => a + x.costNanoUsd, 0)).toBe(all.totals.costNanoUsd);
    }
    const models = JSON.parse((await cco(['report', 'model', '--range', 'all', '--json', '--tz', 'UTC'])).out) as Report;
    expect(models.rows).toEqual(all.byModel);
    const projects = JSON.parse((await cco(['report', 'project', '--range', 'all', '--json', '--tz', 'UTC'])).out) as Report;
    expect(projects.rows).toEqual(all.byProject);
    const sessions = JSON.parse((await cco(['report', 'session', '--range', 'all', '--json', '--tz', 'UTC'])).out) as Report;
    expect(sessions.rows.map(({ models: _m, projects: _p, ...g }) => g)).toEqual(all.bySession);
    const first = await summary(`range=all&tz=UTC&sessions=0&session=${sessions.rows[0]!.key}`);
    expect(sessions.rows[0]).toMatchObject({ models: first.byModel.map((m) => m.key), projects: first.byProject.map((p) => p.key) });
    const today = new Date().toISOString().slice(0, 10);
    const tenAgo = new Date(Date.now() - 10 * DAY).toISOString().slice(0, 10);
    const custom = JSON.parse((await cco(['report', 'daily', '--since', tenAgo.replaceAll('-', ''), '--until', today, '--json', '--tz', 'UTC'])).out) as Report;
    expect(custom.range).toBe('custom');
    expect(custom.rows.map((x) => x.key)).toEqual(Array.from({ length: 11 }, (_, i) => new Date(Date.parse(tenAgo) + i * DAY).toISOString().slice(0, 10)));
  });

  it('tables have totals, fit 80 columns (or COLUMNS) and show unpriced as unpriced', async () => {
    for (const [kind, width] of [['daily', 80], ['project', 80], ['session', 80], ['model', 120], ['daily', 160]] as const) {
      const r = await cco(['report', kind, '--range', 'all', '--tz', 'UTC'], { COLUMNS: String(width) });
      expect(r.code).toBe(0);
      const lines = r.out.trimEnd().split('\n');
      expect(lines.every((l) => l.length <= width)).toBe(true);
      expect(r.out).toMatch(/│ Total\s+│/);
      expect(r.out).toContain('Unpriced');
    }
    // Same-named projects by their shortest unique suffix when the full path does not fit.
    const projects = await cco(['report', 'project', '--range', 'all', '--tz', 'UTC'], { COLUMNS: '80' });
    expect(projects.out).toMatch(/│ a\/my-app +│/);
    expect(projects.out).toMatch(/│ b\/my-app +│/);
    const wide = await cco(['report', 'daily', '--range', 'all', '--tz', 'UTC'], { COLUMNS: '160' });
    expect(wide.out).toContain('Models');
    const csv = (await cco(['report', 'model', '--range', 'all', '--csv', '--tz', 'UTC'])).out.trimEnd().split('\r\n');
    expect(csv[0]).toMatch(/^model,requests,cost_usd,unpriced_requests,.*,total_tokens,response_cache_hits,response_cache_saved_usd$/);
    expect(csv.at(-1)).toMatch(/,3,1\.500000000$/);
    // hits apart in the table too: the session that has them, and the total
    const sessions = await cco(['report', 'session', '--range', 'all', '--tz', 'UTC'], { COLUMNS: '200' });
    const head = sessions.out.split('\n').find((l) => l.startsWith('│ Session'))!.split('│').map((c) => c.trim());
    const cached = head.indexOf('Cached');
    expect(cached, sessions.out).toBeGreaterThan(0);
    const cell = (key: string) => sessions.out.split('\n').find((l) => l.split('│')[1]?.trim().startsWith(key))!.split('│')[cached]!.trim();
    expect([cell('session-2'), cell('session-1'), cell('Total')]).toEqual(['3', '', '3']);
    expect(csv.at(-1)).toMatch(new RegExp(`^total,${seeded.length},\\d+\\.\\d{9},23,`));
  });

  it('blocks: known windows on generated data; the active block and its burn rate from the live data', async () => {
    const r = await cco(['report', 'blocks', '--since', knownDay, '--until', knownDay, '--json', '--tz', 'UTC']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const known = JSON.parse(r.out) as BlocksResponse;
    expect(known.blocks.map((b) => [b.start.toString(), b.end - b.start, b.requests, b.costNanoUsd, b.active])).toEqual(
      [9, 14, 20].map((h, i) => [String(Date.parse(knownDay) + h * 3_600_000), 5 * 3_600_000, i === 0 ? 2 : 1, (i === 0 ? 2 : 1) * 2_000_000_000, false]),
    );
    expect(known.active).toBeNull();
    // Two requests a millisecond apart just now: whichever block they fall in runs now and has a burn rate.
    const fresh = [makeRecord({ startedAt: Date.now() - 1000 }), makeRecord({ startedAt: Date.now() - 999 })];
    await daemon.store.addBulk(fresh);
    seeded.push(...fresh);
    // The last 24 h (what the live views ask for): the same blocks the pure module makes of those records.
    const res = await fetch(`${daemon.url}/api/blocks?active=1`, { headers: { authorization: `Bearer ${daemon.token}` } });
    const live = (await res.json()) as BlocksResponse;
    const expected = buildBlocks(seeded.filter((x) => x.billable && x.startedAt >= Date.parse(live.from) && x.startedAt < Date.parse(live.to)).map(blockEntry), live.now);
    expect(live.blocks).toEqual(expected);
    expect(live.active).toEqual(expected.at(-1));
    expect(live.active).toMatchObject({ active: true, burn: { costNanoUsdPerHour: expect.any(Number) }, projection: { costNanoUsd: expect.any(Number) } });
    const table = await cco(['report', 'blocks', '--range', '7d', '--tz', 'UTC']);
    expect(table.out).toMatch(/│ \d\d-\d\d \d\d:\d\d │ (\d+h \d+m|\d+m \d+s) left │/);
    expect(table.out).toMatch(/Active block: \$[\d.,]+ so far( \(\+\d+ unpriced\))?, .* tokens\nBurn rate: \$[\d.,]+\/h, .* tokens\/min\nAt this rate: \$[\d.,]+ and .* tokens by \d\d:\d\d\n/);
    expect(table.out.trimEnd().split('\n').filter((l) => l.length > 80)).toEqual([]);
    const csv = (await cco(['report', 'blocks', '--since', knownDay, '--until', knownDay, '--csv'])).out.split('\r\n');
    expect(csv[0]).toMatch(/^start,end,active,requests,cost_usd,/);
    expect(csv[1]).toMatch(/,false,2,4\.000000000,0,/);
  });

  it('bad arguments are usage errors', async () => {
    expect((await cco(['report'])).code).toBe(2);
    expect((await cco(['report', 'yearly'])).code).toBe(2);
    expect((await cco(['report', 'daily', '--range', '90d'])).err).toMatch(/--range: "90d" is not one of/);
    expect((await cco(['report', 'daily', '--since', 'soon'])).err).toMatch(/--since: "soon" is not a date/);
    expect((await cco(['report', 'daily', '--json', '--csv'])).code).toBe(2);
  });

  it('a reader that goes away (| head) ends the real program with exit 0 and no stack trace', async () => {
    // The daemon runs in this process: the program must run asynchronously beside it.
    const sh = (script: string) =>
      new Promise<{ out: string; err: string }>((resolve) => {
        const child = spawn('bash', ['-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', () => resolve({ out, err }));
      });
    for (const args of ['report daily --range all', 'report session --csv']) {
      const cmd = `"${process.execPath}" "${BIN}" ${args}`;
      // `true` exits at once: every write of the report meets a closed pipe (EPIPE).
      expect((await sh(`${cmd} | true; echo "exit=\${PIPESTATUS[0]}" >&2`)).err).toBe('exit=0\n');
      const head = await sh(`${cmd} | head -n 2; echo "exit=\${PIPESTATUS[0]}" >&2`);
      expect(head.out.split('\n')).toHaveLength(3);
      expect(head.err).toBe('exit=0\n');
    }
  }, 60_000);
});
