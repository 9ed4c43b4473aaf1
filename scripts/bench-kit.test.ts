/**
 * bench-kit's wait for a started daemon: it must not load the daemon it times. A stand-in for `cco run` (listens at
 * once, answers /ready 503 until its store "opens", then prints the banner as `cco run` does) counts the /ready
 * requests it gets; and the real `cco run` (from sources) is found ready by its real banner.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { READY_POLL_MS, startBundleDaemon } from './bench-kit.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `node <this> run --port P --data-dir D …`: open after OPEN_MS; the banner then says so, or (STILL) that it still opens. */
const STAND_IN = `
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
const port = Number(arg('--port'));
const dataDir = arg('--data-dir');
const openMs = Number(process.env.OPEN_MS);
let open = false;
let asks = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/ready') asks++;
  res.statusCode = req.url === '/ready' && !open ? 503 : 200;
  res.end();
});
server.listen(port, '127.0.0.1', () => {
  const url = 'http://127.0.0.1:' + port;
  const banner = (still) => process.stdout.write(['', 'CCO 0.0.0 is listening on ' + url, ...(still ? ['', 'Recording: the request store is still opening (a migration after an upgrade takes a while).'] : []), '', '  export ANTHROPIC_BASE_URL=' + url, ''].join('\\n') + '\\n');
  if (process.env.STILL === '1') banner(true);
  setTimeout(() => {
    open = true;
    if (process.env.STILL !== '1') banner(false);
  }, openMs);
});
process.on('SIGTERM', () => {
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'asks'), String(asks));
  process.exit(0);
});
`;

function standIn(): { bundle: string; dataDir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-kit-'));
  fs.writeFileSync(path.join(dir, 'stand-in.cjs'), STAND_IN);
  return { bundle: path.join(dir, 'stand-in.cjs'), dataDir: path.join(dir, 'data') };
}

describe('startBundleDaemon', () => {
  it('waits for the banner: one /ready request, not one every few ms while the daemon starts', async () => {
    const { bundle, dataDir } = standIn();
    const d = await startBundleDaemon(bundle, { dataDir, env: { OPEN_MS: '600' } });
    expect(d.readyMs).toBeGreaterThanOrEqual(600);
    expect(d.cpuAtReadyMs).toBeGreaterThan(0);
    await d.stop();
    expect(Number(fs.readFileSync(path.join(dataDir, 'asks'), 'utf8'))).toBe(1); // the confirmation (every 5 ms before: ~100)
  });

  it(`a banner saying the store still opens: /ready asked every ${READY_POLL_MS} ms until it answers 200`, async () => {
    const { bundle, dataDir } = standIn();
    const d = await startBundleDaemon(bundle, { dataDir, env: { OPEN_MS: '1000', STILL: '1' } });
    expect(d.readyMs).toBeGreaterThanOrEqual(1000);
    await d.stop();
    const asks = Number(fs.readFileSync(path.join(dataDir, 'asks'), 'utf8'));
    expect(asks).toBeGreaterThanOrEqual(2);
    expect(asks).toBeLessThanOrEqual(1000 / READY_POLL_MS + 2);
  });

  it('finds the real `cco run` ready by its banner (its store open: /ready 200)', async () => {
    const d = await startBundleDaemon(path.join(ROOT, 'bin', 'cco.js'));
    try {
      expect((await fetch(`http://127.0.0.1:${d.port}/ready`)).status).toBe(200);
    } finally {
      await d.stop();
    }
  }, 60_000);
});
