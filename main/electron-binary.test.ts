import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findElectronBinary } from '../e2e/electron-binary.ts';

describe('findElectronBinary (e2e skip logic)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const fakeRepo = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-ebin-'));
    dirs.push(d);
    fs.mkdirSync(path.join(d, 'node_modules', 'electron'), { recursive: true });
    return d;
  };

  it('names path.txt when the download never ran', () => {
    const repo = fakeRepo();
    const r = findElectronBinary(repo, {});
    expect(r.path).toBeNull();
    expect(r.reason).toContain(path.join(repo, 'node_modules', 'electron', 'path.txt'));
  });

  it('names the executable when path.txt points at a missing file, finds it when present', () => {
    const repo = fakeRepo();
    fs.writeFileSync(path.join(repo, 'node_modules', 'electron', 'path.txt'), 'electron');
    const exe = path.join(repo, 'node_modules', 'electron', 'dist', 'electron');
    expect(findElectronBinary(repo, {}).reason).toContain(exe);
    fs.mkdirSync(path.dirname(exe));
    fs.writeFileSync(exe, '');
    expect(findElectronBinary(repo, {})).toEqual({ path: exe, reason: null });
  });

});
