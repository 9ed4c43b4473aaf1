import { once } from 'node:events';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from './index.ts';
import { dropPrestartedWorker, isDaemonRun, prestartStoreWorker, takePrestartedWorker } from './prestart.ts';
import { makeRecord, tempDir } from './test-fixtures.ts';

describe('the store worker started ahead (cco run)', () => {
  it('openStore adopts it: the store runs on that thread, and closing the store ends it', async () => {
    const w = prestartStoreWorker()!;
    expect(w).not.toBeNull();
    const s = await openStore({ dataDir: path.join(tempDir(), 'data'), log: () => undefined });
    expect(takePrestartedWorker()).toBeNull(); // taken by the store
    const r = makeRecord({ costNanoUsd: 7_000 });
    s.add(r);
    await s.flush();
    expect(await s.getRequest(r.id)).toEqual(r);
    const exited = once(w, 'exit');
    await s.close(); // terminates the store's worker: this one (an unadopted one would keep running)
    await exited;
  });

  it("a store with a cco.sqlite opens that file, not the new database the prestarted worker made ahead", async () => {
    const dataDir = path.join(tempDir(), 'data');
    const first = await openStore({ dataDir, log: () => undefined });
    const r = makeRecord({ costNanoUsd: 9_000 });
    first.add(r);
    await first.close(); // writes cco.sqlite
    expect(prestartStoreWorker()).not.toBeNull();
    const again = await openStore({ dataDir, log: () => undefined });
    expect(takePrestartedWorker()).toBeNull(); // adopted
    expect(await again.getRequest(r.id)).toEqual(r);
    await again.close();
  });

  it('one that died before the store opened is not adopted: the store starts its own', async () => {
    const w = prestartStoreWorker({ url: new URL('file:///prestart-test'), tsxApi: null, code: 'process.exit(7)' })!;
    const [code] = (await once(w, 'exit')) as [number];
    expect(code).toBe(7);
    const s = await openStore({ dataDir: path.join(tempDir(), 'data'), log: () => undefined });
    expect(takePrestartedWorker()).toBeNull();
    const r = makeRecord({});
    s.add(r);
    await s.flush();
    expect(await s.getRequest(r.id)).toEqual(r);
    await s.close();
  });

  it("adopts a worker started by another copy of this module (the built daemon's head, cli/head.ts)", async () => {
    // a second instance of prestart.ts, as the head's bundle carries its own copy of it
    const copy: string = './prestart.ts?the-head';
    const head = (await import(copy)) as typeof import('./prestart.ts');
    expect(head.prestartStoreWorker).not.toBe(prestartStoreWorker);
    const w = head.prestartStoreWorker()!;
    expect(w).not.toBeNull();
    expect(prestartStoreWorker()).toBeNull(); // runMain's call in the program: one is running already
    const s = await openStore({ dataDir: path.join(tempDir(), 'data'), log: () => undefined });
    expect(head.takePrestartedWorker()).toBeNull(); // taken by the program's store
    const r = makeRecord({ costNanoUsd: 5_000 });
    s.add(r);
    await s.flush();
    expect(await s.getRequest(r.id)).toEqual(r);
    const exited = once(w, 'exit');
    await s.close(); // the store ran on the head's worker: closing it ends that thread
    await exited;
  });

  it('isDaemonRun: `cco run` prestarts, its help and other commands do not', () => {
    expect(isDaemonRun(['run'])).toBe(true);
    expect(isDaemonRun(['run', '--port', '0'])).toBe(true);
    expect(isDaemonRun(['run', '--help'])).toBe(false);
    expect(isDaemonRun(['run', '-h'])).toBe(false);
    expect(isDaemonRun(['version'])).toBe(false);
    expect(isDaemonRun([])).toBe(false);
  });

  it('dropPrestartedWorker ends one nobody adopted (a PostgreSQL store)', async () => {
    const w = prestartStoreWorker()!;
    const exited = once(w, 'exit');
    dropPrestartedWorker();
    await exited;
    expect(takePrestartedWorker()).toBeNull();
  });
});
