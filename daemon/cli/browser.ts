/**
 * Opening the dashboard in the user's browser. `NO_BROWSER` (any non-empty value) disables it;
 * `CCO_BROWSER=<command>` runs that command with the URL as its one argument instead of the platform opener.
 */
import { spawn } from 'node:child_process';

export function browserCommand(url: string, env: NodeJS.ProcessEnv, platform = process.platform): [string, string[]] {
  if (env.CCO_BROWSER) return [env.CCO_BROWSER, [url]];
  if (platform === 'darwin') return ['open', [url]];
  if (platform === 'win32') return ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]];
  return ['xdg-open', [url]];
}

/** Starts the browser (detached); resolves false when disabled or the opener could not be started. */
export function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (env.NO_BROWSER) return Promise.resolve(false);
  const [cmd, args] = browserCommand(url, env);
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, args, { detached: true, stdio: 'ignore', env, windowsVerbatimArguments: process.platform === 'win32' });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
