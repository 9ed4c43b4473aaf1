import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileLogger } from './file-logger.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-log-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const lines = (f: string) => fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('createFileLogger', () => {
  it('writes JSON lines at or above the level, after the current tick', async () => {
    const file = path.join(tmp(), 'logs', 'cco.log');
    const log = createFileLogger({ file, level: 'info' });
    log.debug('hidden');
    log.info('started', { port: 3000 });
    log.error('boom', { error: 'x' });
    expect(fs.readFileSync(file, 'utf8')).toBe(''); // queued, not yet written
    await new Promise((r) => setImmediate(r));
    const got = lines(file);
    expect(got.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'started'],
      ['error', 'boom'],
    ]);
    expect(got[0]!.port).toBe(3000);
    expect(typeof got[0]!.time).toBe('string');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    log.close();
  });

  it('never writes a key, a bearer value or a registered token', () => {
    const file = path.join(tmp(), 'cco.log');
    const token = 'Tok3n-of-the-dashboard_xyz';
    const log = createFileLogger({ file, secrets: () => [token] });
    log.info(`request with token ${token}`, { headers: { 'x-api-key': 'sk-ant-api03-secretsecret' }, url: `/?token=${token}` });
    log.warn('upstream said Bearer sk-ant-oat01-abcdefghijkl');
    log.close();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toMatch(/sk-ant-\w/);
    expect(text).toContain('[redacted]');
  });

  it('rotates at maxBytes and keeps only `keep` files', () => {
    const dir = tmp();
    const file = path.join(dir, 'cco.log');
    const log = createFileLogger({ file, maxBytes: 1000, keep: 5 });
    const filler = 'x'.repeat(200);
    for (let i = 0; i < 60; i++) {
      log.info(`line ${i}`, { filler });
      log.flush();
    }
    log.close();
    const names = fs.readdirSync(dir).sort();
    expect(names).toEqual(['cco.log', 'cco.log.1', 'cco.log.2', 'cco.log.3', 'cco.log.4']);
    for (const n of names) expect(fs.statSync(path.join(dir, n)).size).toBeLessThanOrEqual(1000);
    // Newest line in cco.log, older lines in higher numbers; the oldest were deleted.
    expect(lines(file).at(-1)!.msg).toBe('line 59');
    const firstOf = (n: string) => Number(String(lines(path.join(dir, n))[0]!.msg).split(' ')[1]);
    expect(firstOf('cco.log.4')).toBeLessThan(firstOf('cco.log.1'));
    expect(firstOf('cco.log.4')).toBeGreaterThan(0);
  });

  it('appends to an existing file and counts its size', () => {
    const dir = tmp();
    const file = path.join(dir, 'cco.log');
    fs.writeFileSync(file, 'y'.repeat(900) + '\n');
    const log = createFileLogger({ file, maxBytes: 1000 });
    log.info('z'.repeat(200));
    log.close();
    expect(fs.readFileSync(path.join(dir, 'cco.log.1'), 'utf8')).toMatch(/^y+\n$/);
    expect(lines(file)).toHaveLength(1);
  });

  it('does nothing after close', () => {
    const file = path.join(tmp(), 'cco.log');
    const log = createFileLogger({ file });
    log.close();
    log.error('late');
    log.flush();
    expect(fs.readFileSync(file, 'utf8')).toBe('');
  });
});
