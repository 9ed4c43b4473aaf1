/**
 * packaging/team/systemd: the central gateway's unit (cco.service), its drop-in for a PostgreSQL on the same
 * server, the system user and the environment file. `systemd-analyze verify` checks the units where it is
 * installed (Debian's `systemd`; .ci/run installs it), any warning failing the test. Everywhere, the unit is
 * parsed and its documented steps run for real: ExecStart's arguments start the real `cco run` with the unit's
 * environment (paths moved into a temp dir), `cco users add` with the same environment makes a user the
 * running gateway admits, and a request with that user's token goes through it to the fake upstream.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { FIELDS } from '../daemon/config/schema.ts';
import { main } from '../daemon/cli/main.ts';
import { runCommand } from '../daemon/cli/run.ts';
import type { RunningDaemon } from '../daemon/index.ts';
import { startFakeUpstream } from '../test/fake-upstream/server.ts';
import type { RequestPage } from '../shared/contract.ts';

const dir = fileURLToPath(new URL('../packaging/team/systemd/', import.meta.url));
const read = (p: string) => fs.readFileSync(path.join(dir, p), 'utf8');
const tmps: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-systemd-'));
  tmps.push(d);
  return d;
};
afterAll(() => {
  for (const d of tmps) fs.rmSync(d, { recursive: true, force: true });
});

/** A unit file as [section, key, value] entries, in order (repeated keys kept, comments and blanks skipped). */
function parseUnit(text: string): { section: string; key: string; value: string }[] {
  const out: { section: string; key: string; value: string }[] = [];
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    expect(eq, `not key=value: ${line}`).toBeGreaterThan(0);
    out.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  }
  return out;
}
const one = (u: ReturnType<typeof parseUnit>, section: string, key: string) => {
  const v = u.filter((e) => e.section === section && e.key === key);
  expect(v, `${section}.${key}`).toHaveLength(1);
  return v[0]!.value;
};
const environment = (u: ReturnType<typeof parseUnit>): Record<string, string> =>
  Object.fromEntries(
    u
      .filter((e) => e.section === 'Service' && e.key === 'Environment')
      .map((e) => {
        const i = e.value.indexOf('=');
        return [e.value.slice(0, i), e.value.slice(i + 1)];
      }),
  );
const envFile = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('packaging/team/systemd: cco.service', () => {
  const unit = parseUnit(read('cco.service'));

  it('runs hardened as the cco user, with its state directory and the database URL from an environment file', () => {
    expect(one(unit, 'Service', 'User')).toBe('cco');
    expect(one(unit, 'Service', 'StateDirectory')).toBe('cco');
    for (const [k, v] of Object.entries({ ProtectSystem: 'strict', NoNewPrivileges: 'yes', Restart: 'on-failure', ProtectHome: 'yes', PrivateTmp: 'yes', UMask: '0077', CapabilityBoundingSet: '' })) {
      expect(one(unit, 'Service', k), k).toBe(v);
    }
    expect(one(unit, 'Service', 'EnvironmentFile')).toBe('/etc/cco/cco.env');
    expect(one(unit, 'Install', 'WantedBy')).toBe('multi-user.target');
    // every path CCO writes is inside a directory systemd makes writable for it (ProtectSystem=strict)
    const env = environment(unit);
    const state = `/var/lib/${one(unit, 'Service', 'StateDirectory')}`;
    const cache = `/var/cache/${one(unit, 'Service', 'CacheDirectory')}`;
    expect(env.CCO_DATA_DIR).toBe(state);
    expect(env.HOME).toBe(state);
    expect(env.CCO_CONFIG_DIR!.startsWith(`${state}/`)).toBe(true);
    expect(env.CCO_CACHE_DIR).toBe(cache);
    // and the system user's home is that directory
    expect(read('cco.sysusers')).toMatch(new RegExp(`^u cco - "[^"]+" ${state} /usr/sbin/nologin$`, 'm'));
  });

  it('every variable the unit and cco.env.example set is one CCO reads', () => {
    const known = new Set([...FIELDS.flatMap((f) => (f.env ? [f.env] : [])), 'CCO_DATA_DIR', 'CCO_CONFIG_DIR', 'CCO_HISTORY', 'NO_BROWSER', 'HOME']);
    const example = read('cco.env.example');
    const commented = [...example.matchAll(/^#(CCO_[A-Z_]+)=/gm)].map((m) => m[1]!);
    const names = [...Object.keys(environment(unit)), ...Object.keys(envFile(example)), ...commented];
    expect(names).toContain('CCO_DATABASE_URL');
    expect(names.filter((n) => !known.has(n))).toEqual([]);
  });

  it('ExecStart is the real `cco run`: with the unit environment it starts a gateway that admits a user added as documented', async () => {
    const argv = one(unit, 'Service', 'ExecStart').split(/\s+/);
    expect(argv[0]).toBe('/usr/bin/node');
    expect(argv[1]).toBe('/opt/cco/cco-daemon.cjs');
    expect(argv[2]).toBe('run');
    const root = tmp();
    // the unit's environment, its directories moved under a temp root; the embedded store instead of PostgreSQL
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    for (const [k, v] of Object.entries(environment(unit))) env[k] = v.startsWith('/var/') ? path.join(root, v) : v;
    const fake = await startFakeUpstream({ seed: 77 });
    env.CCO_UPSTREAM_URL = fake.url;
    const args = argv.slice(3).map((a, i, all) => (all[i - 1] === '--port' ? '0' : a)); // any free port
    let stop!: (s: string) => void;
    let started!: (d: RunningDaemon) => void;
    const daemonP = new Promise<RunningDaemon>((r) => (started = r));
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), env };
    const exit = runCommand(args, io, { onStarted: (d) => started(d), stopSignal: new Promise<string>((r) => (stop = r)) });
    try {
      const daemon = await Promise.race([daemonP, exit.then((code) => Promise.reject(new Error(`cco run exited ${code}: ${out.join('')}`)))]);
      expect(daemon.exposed).toBe(true); // --host 0.0.0.0: the central gateway
      expect(daemon.dataDir).toBe(path.join(root, '/var/lib/cco'));
      // `sudo -u cco env … node /opt/cco/cco-daemon.cjs users add alice` (docs/team.md): the same environment
      let token = '';
      expect(await main(['users', 'add', 'alice'], { out: (t) => (token += t), err: () => {}, env })).toBe(0);
      token = token.trim();
      const sdk = (t: string | null) => new Anthropic({ apiKey: 'sk-ant-systemd', baseURL: daemon.url, maxRetries: 0, defaultHeaders: t ? { 'x-cco-token': t } : {} });
      for (let i = 0; ; i++) {
        // the gateway re-reads users.json within a second
        const ok = await sdk(token)
          .messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
          .then(() => true, () => false);
        if (ok) break;
        if (i > 50) throw new Error('the user was never admitted');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await sdk(null).messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }).catch((e: { status?: number }) => e.status)).toBe(401);
      await daemon.store.flush();
      const page = (await (await fetch(`${daemon.url}/api/requests`, { headers: { authorization: `Bearer ${daemon.token}` } })).json()) as RequestPage;
      expect(page.items.filter((r) => r.status === 200)).toHaveLength(1); // recorded (the user is kept by the PostgreSQL store)
      const forwarded = fake.requests();
      expect(forwarded).toHaveLength(1); // the 401 was never forwarded
      expect(forwarded[0]!.rawHeaders.map(([k, v]) => `${k}: ${v}`).join('\n')).not.toContain(token); // nor the token
      expect(fs.statSync(path.join(root, '/var/lib/cco', 'users.json')).mode & 0o077).toBe(0);
    } finally {
      stop('SIGTERM');
      await exit.catch(() => 1);
      await fake.close();
    }
  });
});

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
describe.skipIf(analyze.status !== 0)('packaging/team/systemd: systemd-analyze verify', () => {
  /** The unit (plus drop-ins, appended: a unit may repeat a section) with its installed paths moved to real files here. */
  function verify(name: string, dropIns: string[] = []): { status: number | null; output: string } {
    const d = tmp();
    for (const f of ['cco-daemon.cjs', 'cco.env']) fs.writeFileSync(path.join(d, f), '');
    const node = fs.existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;
    const text = [read('cco.service'), ...dropIns.map(read)]
      .join('\n')
      .replaceAll('/opt/cco/cco-daemon.cjs', path.join(d, 'cco-daemon.cjs'))
      .replaceAll('/etc/cco/cco.env', path.join(d, 'cco.env'))
      .replaceAll('/usr/bin/node', node);
    fs.writeFileSync(path.join(d, name), text);
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', `./${name}`], { cwd: d, encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
  }

  it('cco.service verifies with no warning', () => {
    expect(verify('cco.service')).toEqual({ status: 0, output: '' });
  });

  it('cco.service with the PostgreSQL drop-in verifies with no warning', () => {
    const dropIn = parseUnit(read('postgresql.conf'));
    expect(dropIn.map((e) => `${e.section}.${e.key}=${e.value}`)).toEqual(['Unit.After=postgresql.service', 'Unit.Wants=postgresql.service']);
    expect(verify('cco.service', ['postgresql.conf'])).toEqual({ status: 0, output: '' });
  });

  it('a misspelt key or bad value is reported (the check can fail)', () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'bad.service'), '[Service]\nExecStart=/bin/true\nNoNewPrivilege=yes\nRestart=sometimes\n');
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', './bad.service'], { cwd: d, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toMatch(/Unknown key 'NoNewPrivilege'/);
  });
});
