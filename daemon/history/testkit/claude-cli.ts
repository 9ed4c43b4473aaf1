/**
 * The real Claude Code CLI for tests (npm @anthropic-ai/claude-code, pinned devDependency; its native binary
 * ships in the package): where it is, whether it runs here, and an environment that keeps it offline.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The binary, or null and why (not installed, or its native build does not run on this platform). */
export function claudeBinary(): { bin: string | null; why: string } {
  let bin: string;
  try {
    bin = path.join(path.dirname(require.resolve('@anthropic-ai/claude-code/package.json')), 'bin', 'claude.exe');
  } catch {
    return { bin: null, why: '@anthropic-ai/claude-code is not installed' };
  }
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, HOME: os.tmpdir() } });
  if (v.status !== 0) return { bin: null, why: `claude --version failed (${v.error?.message ?? v.stderr.slice(0, 200)}): its native binary did not install for ${process.platform}-${process.arch}` };
  return { bin, why: '' };
}

export const CLAUDE_TEST_KEY = 'sk-ant-claude-code-test';

/**
 * The CLI's environment: a temporary HOME, the API through `baseUrl` (the daemon), no telemetry, error
 * reports or updates, and every other host behind a dead proxy (127.0.0.1:9) so nothing reaches the network.
 * `nonessential: false` leaves CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC unset: that setting also turns off
 * the session-title call (measured with 2.1.332).
 */
export function claudeEnv(home: string, baseUrl: string, opts: { nonessential?: boolean } = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TERM: 'xterm-256color', ANTHROPIC_API_KEY: CLAUDE_TEST_KEY, ANTHROPIC_BASE_URL: baseUrl,
    DISABLE_TELEMETRY: '1', DISABLE_ERROR_REPORTING: '1', DISABLE_AUTOUPDATER: '1',
    HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost',
  };
  if (opts.nonessential !== false) env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
  return env;
}
