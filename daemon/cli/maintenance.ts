/**
 * Wiring for the packaging engineer's modules: `cco update` (update.ts) and `cco install-service` /
 * `cco uninstall-service` (service.ts). The service runs this same program: `<node> <script> run --no-browser`.
 */
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { loadConfig } from '../config/load.ts';
import { VERSION } from '../version.ts';
import { CliError, parse, type Io } from './common.ts';

/** argv that starts this program again (the bundle, or bin/cco.js under tsx). */
export function selfCommand(): string[] {
  const script = process.argv[1] ? path.resolve(process.argv[1]) : '';
  return script ? [process.execPath, script] : [process.execPath];
}

export async function updateCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { check: { type: 'boolean' }, yes: { type: 'boolean', short: 'y' }, channel: { type: 'string' } }, 'Usage: cco update [--check] [--yes] [--channel stable|beta]');
  const channel = values.channel ?? loadConfig({ env: io.env }).config.updates.channel;
  if (channel !== 'stable' && channel !== 'beta') throw new CliError(`--channel: "${channel}" is not one of stable, beta`, 2);
  const target = process.argv[1] ? path.resolve(process.argv[1]) : '';
  if (!values.check && !target.endsWith('.cjs')) {
    throw new CliError('this cco runs from a source checkout; update it with git (or install the standalone cco-daemon.cjs). `cco update --check` still reports new releases.');
  }
  const { runUpdate, UpdateError } = await import('./update.ts');
  try {
    const r = await runUpdate({
      currentVersion: VERSION,
      targetPath: target,
      channel,
      checkOnly: values.check,
      yes: values.yes,
      log: (l) => io.out(l + '\n'),
      confirm: async (q) => {
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const a = await rl.question(`${q} [y/N] `);
        rl.close();
        return /^y(es)?$/i.test(a.trim());
      },
    });
    if (r.status === 'up-to-date') io.out(`cco ${r.current} is up to date${r.latest ? ` (latest ${channel}: ${r.latest})` : ''}.\n`);
    else if (r.status === 'available') io.out(`New version available: ${r.latest} (current: ${r.current}). Run \`cco update\` to install.\n`);
    else if (r.status === 'declined') io.out('Not updated.\n');
    else if (r.status === 'rolled-back') throw new CliError(`the new version did not start (${r.reason}); kept ${r.from}`);
    return 0;
  } catch (err) {
    if (err instanceof UpdateError) throw new CliError(err.message);
    throw err;
  }
}

export async function installServiceCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { 'no-activate': { type: 'boolean' } }, 'Usage: cco install-service [--no-activate]');
  const { installService } = await import('./service.ts');
  const r = await installService({
    platform: process.platform,
    homeDir: io.env.HOME || os.homedir(),
    xdgConfigHome: io.env.XDG_CONFIG_HOME || undefined,
    command: [...selfCommand(), 'run', '--no-browser'],
    noActivate: values['no-activate'],
  }).catch((err: Error) => {
    throw new CliError(err.message);
  });
  for (const m of r.messages) io.out(m + '\n');
  return 0;
}

export async function uninstallServiceCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { 'no-activate': { type: 'boolean' } }, 'Usage: cco uninstall-service [--no-activate]');
  const { uninstallService } = await import('./service.ts');
  const r = await uninstallService({
    platform: process.platform,
    homeDir: io.env.HOME || os.homedir(),
    xdgConfigHome: io.env.XDG_CONFIG_HOME || undefined,
    noActivate: values['no-activate'],
  }).catch((err: Error) => {
    throw new CliError(err.message);
  });
  for (const m of r.messages) io.out(m + '\n');
  return 0;
}
