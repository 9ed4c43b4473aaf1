import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listDaemons, pidFileFor, processAlive, removePidFile, writePidFile } from './pidfile.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-pid-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const rec = (pid: number, port: number) => ({ pid, port, started_at: new Date().toISOString(), version: 'v', url: `http://127.0.0.1:${port}` });

describe('pid files', () => {
  it('lists live daemons by port and removes stale or unreadable files', async () => {
    const dir = tmp();
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    writePidFile(dir, rec(process.pid, 4001));
    writePidFile(dir, rec(process.pid, 3001));
    writePidFile(dir, rec(dead.pid!, 5001));
    fs.writeFileSync(path.join(dir, 'cco-6001.pid'), 'garbage');
    fs.writeFileSync(path.join(dir, 'other.txt'), 'ignored');
    const { running, stale } = listDaemons(dir);
    expect(running.map((e) => e.record.port)).toEqual([3001, 4001]);
    expect(stale.map((f) => path.basename(f)).sort()).toEqual(['cco-5001.pid', 'cco-6001.pid']);
    expect(fs.readdirSync(dir).sort()).toEqual(['cco-3001.pid', 'cco-4001.pid', 'other.txt']);
    expect(fs.statSync(pidFileFor(dir, 3001)).mode & 0o777).toBe(0o600);
    expect(listDaemons(path.join(dir, 'missing'))).toEqual({ running: [], stale: [] });
  });
  it('removes a file only when it still names the pid', () => {
    const dir = tmp();
    const f = writePidFile(dir, rec(12345, 3000));
    removePidFile(f, 999);
    expect(fs.existsSync(f)).toBe(true);
    removePidFile(f, 12345);
    expect(fs.existsSync(f)).toBe(false);
  });
  it('processAlive', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(0)).toBe(false);
    expect(processAlive(-5)).toBe(false);
  });
});
