import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NEUTRAL } from '../daemon/cli/statusline.ts';
import { buildStatusline } from './build-statusline.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-statusline-build-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('build-statusline', () => {
  it('builds a small self-contained file that answers with the neutral line when no daemon runs', async () => {
    const { outfile, bytes } = await buildStatusline(path.join(dir, 'cco-statusline.cjs'));
    expect(bytes).toBeLessThan(64 * 1024);
    const home = path.join(dir, 'home');
    const r = spawnSync(process.execPath, [outfile], {
      cwd: dir, // no node_modules here: the file must not need any
      env: { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: path.join(home, 'data'), XDG_CONFIG_HOME: path.join(home, 'config') },
      input: JSON.stringify({ session_id: 's1' }),
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(NEUTRAL);
  });
});
