import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonStartError } from './index.ts';
import { hostDaemon, hostTarget } from './host.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function home(config = ''): { env: NodeJS.ProcessEnv; root: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-host-'));
  dirs.push(root);
  fs.mkdirSync(path.join(root, 'config'));
  fs.writeFileSync(path.join(root, 'config', 'config.toml'), config);
  return { root, env: { HOME: root, CCO_DATA_DIR: path.join(root, 'data'), CCO_CONFIG_DIR: path.join(root, 'config'), CCO_CREDENTIALS_BACKEND: 'file', CCO_HISTORY: 'off' } };
}

describe('daemon/host', () => {
  it('hostTarget: the data folder, PID folder and port the daemon will use, from config.toml', () => {
    const { root, env } = home('[server]\nport = 4123\n[database]\npath = "~/store"\n');
    expect(hostTarget({ env })).toMatchObject({ dataDir: path.join(root, 'store'), pidDir: path.join(root, 'data', 'pids'), port: 4123, host: '127.0.0.1' });
    expect(hostTarget({ env, flags: { 'server.port': { value: '0', label: '--port' } } }).port).toBe(0);
  });

  it('hostDaemon: a second daemon on the port of a live one is refused (EBUSY) before anything is opened', async () => {
    const { env } = home('[server]\nport = 0\nupstream_url = "http://127.0.0.1:9"\n');
    const first = await hostDaemon({ env });
    try {
      const err = await hostDaemon({ env, flags: { 'server.port': { value: String(first.daemon.port), label: '--port' } } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DaemonStartError);
      expect((err as DaemonStartError).code).toBe('EBUSY');
    } finally {
      await first.close();
    }
    expect(fs.readFileSync(first.log.file, 'utf8')).toContain('daemon started');
  });
});
