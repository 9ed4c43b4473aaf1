/**
 * The probe against real things: a real daemon (startDaemon: PID file + token in its data folder), a plain
 * HTTP server that is not CCO, and a closed port.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../daemon/index.ts';
import { pidDirOf } from '../daemon/pidfile.ts';
import { acquireDataLock } from '../daemon/data-lock.ts';
import { askPort, defaultProbeDeps, probeDaemon } from './daemon-probe.ts';

let home: string;
let daemon: RunningDaemon;
let other: http.Server;
let otherPort: number;
let closedPort: number;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-probe-'));
  daemon = await startDaemon({ port: 0, dataDir: path.join(home, 'svc'), configDir: home, upstreamUrl: 'http://127.0.0.1:9', rateLimit: false });
  other = http.createServer((_req, res) => res.end('hello'));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  otherPort = (other.address() as AddressInfo).port;
  const tmp = http.createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  closedPort = (tmp.address() as AddressInfo).port;
  await new Promise((r) => tmp.close(r));
});
afterAll(async () => {
  await daemon?.close();
  await new Promise((r) => other?.close(r));
  fs.rmSync(home, { recursive: true, force: true });
});

describe('probeDaemon', () => {
  it('attaches to the daemon already serving this data folder (URL from its PID file, token from the folder)', async () => {
    const dataDir = daemon.dataDir;
    const r = await probeDaemon({ dataDir, pidDir: pidDirOf(dataDir), port: daemon.port, host: '127.0.0.1' });
    expect(r).toEqual({ kind: 'attach', url: daemon.url, port: daemon.port, token: daemon.token, pid: process.pid, version: expect.any(String) });
    // the token works
    const res = await fetch(`${daemon.url}/api/summary?range=today`, { headers: { authorization: `Bearer ${(r as { token: string }).token}` } });
    expect(res.status).toBe(200);
  });

  it('refuses when another CCO daemon (another data folder) has the port', async () => {
    const dataDir = path.join(home, 'app');
    const r = await probeDaemon({ dataDir, pidDir: pidDirOf(dataDir), port: daemon.port, host: '127.0.0.1' });
    expect(r.kind).toBe('refuse');
    expect((r as { reason: string }).reason).toMatch(/Another CCO daemon .* listens on port \d+ with a different data folder/);
  });

  it('refuses when another program has the port', async () => {
    const dataDir = path.join(home, 'app');
    const r = await probeDaemon({ dataDir, pidDir: pidDirOf(dataDir), port: otherPort, host: '127.0.0.1' });
    expect(r).toEqual({ kind: 'refuse', reason: `Port ${otherPort} is in use by another program. Stop it, or set another [server] port in config.toml.` });
  });

  it('starts its own daemon when nothing serves the folder and the port is free (or 0)', async () => {
    const dataDir = path.join(home, 'app');
    expect(await probeDaemon({ dataDir, pidDir: pidDirOf(dataDir), port: closedPort, host: '127.0.0.1' })).toEqual({ kind: 'free' });
    expect(await probeDaemon({ dataDir, pidDir: pidDirOf(dataDir), port: 0, host: '127.0.0.1' })).toEqual({ kind: 'free' });
  });

  it('follows the data-folder lock: attach to its daemon, refuse while a CLI command or a starting daemon holds it', async () => {
    const dataDir = daemon.dataDir;
    const target = { dataDir, pidDir: path.join(home, 'no-pids'), port: closedPort, host: '127.0.0.1' };
    const lock = (holder: { pid: number; port: number | null; role: string }) => defaultProbeDeps(() => ({ holder, alive: true }));
    expect(await probeDaemon(target, lock({ pid: 1, port: daemon.port, role: 'daemon' }))).toMatchObject({ kind: 'attach', token: daemon.token, port: daemon.port });
    expect(await probeDaemon(target, lock({ pid: 1, port: null, role: 'daemon' }))).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/is starting/) });
    expect(await probeDaemon(target, lock({ pid: 1, port: null, role: 'cco import' }))).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/`cco import`/) });
    // a dead holder is no reason to refuse
    expect(await probeDaemon(target, defaultProbeDeps(() => ({ holder: { pid: 1, port: 1, role: 'daemon' }, alive: false })))).toEqual({ kind: 'free' });
  });

  it('reads the real data-folder lock: a CLI command holding the folder means wait, not a second writer', async () => {
    const dataDir = path.join(home, 'locked');
    const lock = acquireDataLock(dataDir, 'cco import');
    try {
      const r = await probeDaemon({ dataDir, pidDir: pidDirOf(dataDir), port: closedPort, host: '127.0.0.1' });
      expect(r).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/in use by `cco import`/) });
    } finally {
      lock.release();
    }
    expect(await probeDaemon({ dataDir, pidDir: pidDirOf(dataDir), port: closedPort, host: '127.0.0.1' })).toEqual({ kind: 'free' });
  });

  it('askPort tells a CCO daemon from another program and from a closed port', async () => {
    expect(await askPort('127.0.0.1', daemon.port)).toMatchObject({ kind: 'cco' });
    expect(await askPort('127.0.0.1', otherPort)).toEqual({ kind: 'other' });
    expect(await askPort('127.0.0.1', closedPort)).toEqual({ kind: 'closed' });
  });
});
