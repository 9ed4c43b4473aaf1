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
import type { Summary } from '../api/contract.ts';
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
  await daemon.store.addBulk(records);
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
    expect(sessions.rows[0]!.projects).toEqual(['/home/u/a/my-app', '/home/u/b/my-app'].filter((p) => sessions.rows[0]!.projects!.includes(p)));
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
    const wide = await cco(['report', 'daily', '--range', 'all', '--tz', 'UTC'], { COLUMNS: '160' });
    expect(wide.out).toContain('Models');
    const csv = (await cco(['report', 'model', '--range', 'all', '--csv', '--tz', 'UTC'])).out.trimEnd().split('\r\n');
    expect(csv[0]).toMatch(/^model,requests,cost_usd,unpriced_requests,/);
    expect(csv.at(-1)).toMatch(/^total,900,\d+\.\d{9},23,/);
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
