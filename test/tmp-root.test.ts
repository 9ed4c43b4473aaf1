import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import setup, { ROOT_ENV, SHARED_ENV } from './tmp-root.ts';

describe('the test run temp folder', () => {
  const saved = { root: process.env[ROOT_ENV], shared: process.env[SHARED_ENV], tmp: process.env.TMPDIR };
  afterEach(() => {
    process.env[ROOT_ENV] = saved.root;
    process.env[SHARED_ENV] = saved.shared;
    process.env.TMPDIR = saved.tmp;
  });

  it('is in effect in this worker: os.tmpdir() is the run folder', () => {
    const root = process.env[ROOT_ENV];
    expect(root).toMatch(/cco-test-run-/);
    expect(os.tmpdir()).toBe(root);
    expect(fs.statSync(root!).mode & 0o777).toBe(0o711);
  });

  it('makes a folder, points TMPDIR at it and removes it with what tests left', () => {
    delete process.env[ROOT_ENV];
    const outer = os.tmpdir();
    const teardown = setup();
    const root = process.env[ROOT_ENV]!;
    expect(path.dirname(root)).toBe(outer);
    expect(os.tmpdir()).toBe(root);
    expect(process.env[SHARED_ENV]).toBe(outer);
    fs.mkdirSync(path.join(os.tmpdir(), 'left-behind', 'deep'), { recursive: true });
    teardown!();
    expect(fs.existsSync(root)).toBe(false);
    expect(os.tmpdir()).toBe(outer);
  });

  it('runs once: a second project shares the first folder', () => {
    expect(setup()).toBeUndefined();
    expect(process.env[ROOT_ENV]).toBe(saved.root);
  });
});
