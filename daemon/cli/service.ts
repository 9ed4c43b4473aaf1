/**
 * `cco install-service` / `cco uninstall-service`: run the daemon at login as a per-user service.
 *
 * - Linux: a systemd user unit `~/.config/systemd/user/cco.service` (XDG_CONFIG_HOME honoured), then
 *   `systemctl --user daemon-reload` and `enable --now`. On servers, `loginctl enable-linger` keeps it
 *   running without a login session (printed as a hint).
 * - macOS: a launchd agent `~/Library/LaunchAgents/dev.cco.daemon.plist`, loaded with
 *   `launchctl bootstrap gui/<uid>`; logs to `~/Library/Logs/cco/`.
 * - Windows: nothing is written; PowerShell lines that register a logon task (or an NSSM service) are printed.
 *
 * The command to run is given whole (`command`: node + script + args, or the app binary + `--daemon`).
 * The CLI wiring lives elsewhere: it calls installService()/uninstallService() and prints `messages`.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SYSTEMD_UNIT_NAME = 'cco.service';
export const LAUNCHD_LABEL = 'dev.cco.daemon';
export const WINDOWS_TASK_NAME = 'CCO Daemon';

export interface ServiceOptions {
  platform: NodeJS.Platform;
  homeDir: string;
  /** argv of the daemon, e.g. [process.execPath, '/opt/cco/cco-daemon.cjs', 'run', '--no-browser']. */
  command: string[];
  /** Extra environment for the service (never secrets: the daemon reads its credential store). */
  env?: Record<string, string>;
  /** XDG_CONFIG_HOME for Linux; default `<home>/.config`. */
  xdgConfigHome?: string;
  /** Numeric uid for launchctl's `gui/<uid>` domain; default process.getuid(). */
  uid?: number;
  /** Do not run systemctl/launchctl; only write or remove the files. */
  noActivate?: boolean;
}

export interface ServiceResult {
  /** The unit/plist written or removed (null on Windows). */
  file: string | null;
  /** Commands that were run, as typed by a user. */
  ran: string[];
  /** Lines to show the user. */
  messages: string[];
}

/** Quotes one argument for a systemd ExecStart= line (systemd.syntax(7), systemd.service(5)). */
export function systemdQuote(arg: string): string {
  const escaped = arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return `"${escaped}"`;
}

export function systemdUnit(command: string[], env: Record<string, string> = {}): string {
  if (command.length === 0) throw new Error('service command is empty');
  const envLines = Object.entries({ NO_BROWSER: '1', ...env }).map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`)}`);
  return [
    '[Unit]',
    'Description=CCO - Claude Code cost monitor daemon',
    'Documentation=https://github.com/cco-app/cco',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${command.map(systemdQuote).join(' ')}`,
    ...envLines,
    'Restart=on-failure',
    'RestartSec=5',
    'TimeoutStopSec=15',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function launchdPlist(command: string[], logDir: string, env: Record<string, string> = {}): string {
  if (command.length === 0) throw new Error('service command is empty');
  const args = command.map((a) => `      <string>${xml(a)}</string>`);
  const envEntries = Object.entries({ NO_BROWSER: '1', ...env }).map(([k, v]) => `      <key>${xml(k)}</key>\n      <string>${xml(v)}</string>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '  <dict>',
    '    <key>Label</key>',
    `    <string>${LAUNCHD_LABEL}</string>`,
    '    <key>ProgramArguments</key>',
    '    <array>',
    ...args,
    '    </array>',
    '    <key>EnvironmentVariables</key>',
    '    <dict>',
    ...envEntries,
    '    </dict>',
    '    <key>RunAtLoad</key>',
    '    <true/>',
    '    <key>KeepAlive</key>',
    '    <dict>',
    '      <key>SuccessfulExit</key>',
    '      <false/>',
    '    </dict>',
    '    <key>ProcessType</key>',
    '    <string>Background</string>',
    '    <key>StandardOutPath</key>',
    `    <string>${xml(join(logDir, 'daemon.out.log'))}</string>`,
    '    <key>StandardErrorPath</key>',
    `    <string>${xml(join(logDir, 'daemon.err.log'))}</string>`,
    '  </dict>',
    '</plist>',
    '',
  ].join('\n');
}

const ps = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const winArg = (a: string): string => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a);

/**
 * Windows: PowerShell lines that register a logon task for the current user (no admin needed), plus the
 * NSSM alternative for a real Windows service.
 */
export function windowsServiceCommands(command: string[]): string[] {
  const [exe = '', ...rest] = command;
  const args = rest.map(winArg).join(' ');
  return [
    `$action = New-ScheduledTaskAction -Execute ${ps(exe)} -Argument ${ps(args)}`,
    '$trigger = New-ScheduledTaskTrigger -AtLogOn -User $env:USERNAME',
    '$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 3 -RestartInterval (New-TimeSpan -Minutes 1)',
    `Register-ScheduledTask -TaskName ${ps(WINDOWS_TASK_NAME)} -Action $action -Trigger $trigger -Settings $settings -Force`,
    `Start-ScheduledTask -TaskName ${ps(WINDOWS_TASK_NAME)}`,
    '# or, as a Windows service with NSSM (https://nssm.cc), from an elevated prompt:',
    `# nssm install cco ${winArg(exe)} ${args}`,
  ];
}

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000, windowsHide: true }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

export function serviceFile(opts: ServiceOptions): string | null {
  if (opts.platform === 'linux') return join(opts.xdgConfigHome ?? join(opts.homeDir, '.config'), 'systemd', 'user', SYSTEMD_UNIT_NAME);
  if (opts.platform === 'darwin') return join(opts.homeDir, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
  return null;
}

async function runAll(steps: Array<[string, string[], boolean]>, result: ServiceResult): Promise<void> {
  for (const [cmd, args, mustSucceed] of steps) {
    result.ran.push([cmd, ...args].join(' '));
    const { code, output } = await run(cmd, args);
    if (code !== 0 && mustSucceed) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${code})${output ? `: ${output}` : ''}`);
  }
}

export async function installService(opts: ServiceOptions): Promise<ServiceResult> {
  const file = serviceFile(opts);
  const result: ServiceResult = { file, ran: [], messages: [] };
  if (opts.platform === 'linux') {
    await mkdir(join(file!, '..'), { recursive: true });
    await writeFile(file!, systemdUnit(opts.command, opts.env), { mode: 0o644 });
    result.messages.push(`wrote ${file}`);
    if (!opts.noActivate) {
      await runAll([['systemctl', ['--user', 'daemon-reload'], true], ['systemctl', ['--user', 'enable', '--now', SYSTEMD_UNIT_NAME], true]], result);
      result.messages.push(`enabled and started ${SYSTEMD_UNIT_NAME} (systemctl --user status ${SYSTEMD_UNIT_NAME})`);
    }
    result.messages.push('to keep it running after logout on a server: loginctl enable-linger "$USER"');
  } else if (opts.platform === 'darwin') {
    const logDir = join(opts.homeDir, 'Library', 'Logs', 'cco');
    await mkdir(logDir, { recursive: true });
    await mkdir(join(file!, '..'), { recursive: true });
    await writeFile(file!, launchdPlist(opts.command, logDir, opts.env), { mode: 0o644 });
    result.messages.push(`wrote ${file}`);
    if (!opts.noActivate) {
      const domain = `gui/${opts.uid ?? process.getuid?.() ?? 501}`;
      // bootout first so a re-install picks up the new plist; it fails harmlessly when not loaded
      await runAll([['launchctl', ['bootout', `${domain}/${LAUNCHD_LABEL}`], false], ['launchctl', ['bootstrap', domain, file!], true], ['launchctl', ['enable', `${domain}/${LAUNCHD_LABEL}`], true]], result);
      result.messages.push(`loaded ${LAUNCHD_LABEL} (launchctl print ${domain}/${LAUNCHD_LABEL}); logs in ${logDir}`);
    }
  } else if (opts.platform === 'win32') {
    result.messages.push('Windows: run these PowerShell commands to start the daemon at logon:', ...windowsServiceCommands(opts.command));
  } else {
    throw new Error(`install-service does not support ${opts.platform}`);
  }
  return result;
}

export async function uninstallService(opts: Omit<ServiceOptions, 'command' | 'env'>): Promise<ServiceResult> {
  const file = serviceFile({ ...opts, command: [] });
  const result: ServiceResult = { file, ran: [], messages: [] };
  if (opts.platform === 'linux') {
    if (!opts.noActivate) await runAll([['systemctl', ['--user', 'disable', '--now', SYSTEMD_UNIT_NAME], false]], result);
    await rm(file!, { force: true });
    if (!opts.noActivate) await runAll([['systemctl', ['--user', 'daemon-reload'], false]], result);
    result.messages.push(`removed ${file}`);
  } else if (opts.platform === 'darwin') {
    const domain = `gui/${opts.uid ?? process.getuid?.() ?? 501}`;
    if (!opts.noActivate) await runAll([['launchctl', ['bootout', `${domain}/${LAUNCHD_LABEL}`], false]], result);
    await rm(file!, { force: true });
    result.messages.push(`removed ${file}`);
  } else if (opts.platform === 'win32') {
    result.messages.push(
      'Windows: run these PowerShell commands to remove it:',
      `Stop-ScheduledTask -TaskName ${ps(WINDOWS_TASK_NAME)}`,
      `Unregister-ScheduledTask -TaskName ${ps(WINDOWS_TASK_NAME)} -Confirm:$false`,
      '# or, if installed with NSSM: nssm remove cco confirm',
    );
  } else {
    throw new Error(`uninstall-service does not support ${opts.platform}`);
  }
  return result;
}
