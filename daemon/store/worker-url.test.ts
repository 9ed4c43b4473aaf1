import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './test-fixtures.ts';
import { bundleWorker, startWorker, workerUrl, WORKER_YOUNG_GENERATION_MB, type WorkerLocation } from './worker-url.ts';

async function firstMessage(loc: WorkerLocation): Promise<unknown> {
  const w = startWorker(loc);
  try {
    return await new Promise<unknown>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  } finally {
    await w.terminate();
  }
}

describe('workerUrl', () => {
  it('points at the TypeScript worker (with tsx) from sources and at a sibling JS file from a build', () => {
    const ts = workerUrl(new URL('./some-module.ts', import.meta.url).href);
    expect(ts.url.href).toBe(new URL('./store-worker.ts', import.meta.url).href);
    const here = workerUrl('file:///app/dist/cco-daemon.cjs');
    expect(here).toEqual({ url: new URL('file:///app/dist/store-worker.cjs'), tsxApi: null });
    expect(workerUrl('file:///app/out/index.js').url.href).toBe('file:///app/out/store-worker.js');
  });

  it('a one-file bundle starts its own worker file when it sits beside it, else the embedded code with eval', () => {
    const dir = tempDir();
    const base = pathToFileURL(path.join(dir, 'cco-daemon.cjs')).href;
    const embedded = { url: new URL(base), tsxApi: null, code: '/* worker */' };
    expect(bundleWorker(base, 'cco-store-worker-abc.cjs', () => '/* worker */')).toEqual(embedded);
    fs.writeFileSync(path.join(dir, 'cco-store-worker-abc.cjs'), '');
    expect(bundleWorker(base, 'cco-store-worker-abc.cjs', () => '/* worker */')).toEqual({ url: pathToFileURL(path.join(dir, 'cco-store-worker-abc.cjs')), tsxApi: null });
    // another build's worker file (another hash) is never used
    expect(bundleWorker(base, 'cco-store-worker-def.cjs', () => '/* worker */')).toEqual(embedded);
  });

  it('runs a worker given as code (CommonJS, eval) with its workerData', async () => {
    const code = "const { parentPort, workerData } = require('node:worker_threads');\nparentPort.postMessage({ workerData, file: typeof __filename });\n";
    expect(await firstMessage({ url: new URL('file:///x/cco-daemon.cjs'), tsxApi: null, code, workerData: { n: 1 } })).toEqual({ workerData: { n: 1 }, file: 'string' });
  });

  it('caps the worker\'s new space at the young generation it is given (V8 would grow it to 32 MB and keep it)', async () => {
    // Many scavenges with survivors (a live window of 5,000 objects), as an export's pages make.
    const code = `const { parentPort } = require('node:worker_threads');
const v8 = require('node:v8');
let keep = [];
for (let i = 0; i < 3e6; i++) { keep.push({ a: i, b: 'x' + i }); if (keep.length > 5000) keep = []; }
parentPort.postMessage(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
`;
    const newSpace = (await firstMessage({ url: new URL('file:///x/cco-daemon.cjs'), tsxApi: null, code })) as number;
    expect(WORKER_YOUNG_GENERATION_MB).toBe(16);
    expect(newSpace).toBeLessThanOrEqual(16 * 1024 * 1024);
  });

  it('resolves tsx for sources and the worker boots under it', async () => {
    const loc = workerUrl();
    expect(loc.url.pathname.endsWith('/store-worker.ts')).toBe(true);
    expect(loc.tsxApi).toMatch(/^file:.*tsx.*\.mjs$/);
    const w = startWorker(loc);
    const reply = await new Promise<unknown>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
      w.postMessage({ type: 'stats', id: 7 });
    });
    expect(reply).toEqual({ type: 'reply', id: 7, ok: false, error: 'store not open', name: 'Error' });
    await w.terminate();
  });

  it('passes workerData through, for built JavaScript and for TypeScript under tsx', async () => {
    const dir = tempDir();
    const echo = "import { parentPort, workerData } from 'node:worker_threads';\nparentPort?.postMessage(workerData);\n";
    fs.writeFileSync(path.join(dir, 'echo.mjs'), echo);
    fs.writeFileSync(path.join(dir, 'echo.mts'), echo.replace('workerData);', 'workerData as unknown);'));
    const data = { role: 'cco-store-worker', n: 3 };
    expect(await firstMessage({ url: pathToFileURL(path.join(dir, 'echo.mjs')), tsxApi: null, workerData: data })).toEqual(data);
    const { tsxApi } = workerUrl();
    expect(await firstMessage({ url: pathToFileURL(path.join(dir, 'echo.mts')), tsxApi, workerData: data })).toEqual(data);
    expect(await firstMessage({ url: pathToFileURL(path.join(dir, 'echo.mjs')), tsxApi: null })).toBeUndefined();
  });
});
