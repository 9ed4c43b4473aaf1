import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { JSDOM } from 'jsdom';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LAUNCHD_LABEL, installService, launchdPlist, systemdQuote, systemdUnit, uninstallService, windowsServiceCommands } from './service.ts';

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const tricky = ['/opt/my apps/node', '/home/u/cco "x"/cco-daemon.cjs', 'run', '--note=100% $HOME & <b>'];

describe('service files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cco-service-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('quotes ExecStart arguments for systemd', () => {
    expect(systemdQuote('/usr/bin/node')).toBe('"/usr/bin/node"');
    expect(systemdQuote('a "b" \\ 100% $X')).toBe('"a \\"b\\" \\\\ 100%% $$X"');
  });

  it.skipIf(!hasSystemdAnalyze)('writes a unit that systemd-analyze accepts, and one it rejects is caught', () => {
    const good = join(dir, 'cco.service');
    writeFileSync(good, systemdUnit([process.execPath, ...tricky.slice(1)], { CCO_PORT: '3000' }));
    const ok = spawnSync('systemd-analyze', ['verify', good], { encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    // the same check on a relative executable fails, so the assertion above can fail too
    writeFileSync(good, systemdUnit(['relative/node', 'x.cjs']));
    expect(spawnSync('systemd-analyze', ['verify', good], { encoding: 'utf8' }).status).not.toBe(0);
  });

  it('writes a launchd plist whose arguments survive XML escaping', () => {
    const text = launchdPlist(tricky, '/Users/u/Library/Logs/cco', { CCO_PORT: '3000' });
    const doc = new JSDOM(text, { contentType: 'application/xml' }).window.document;
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
    const keys = [...doc.querySelectorAll('plist > dict > key')].map((k) => k.textContent);
    expect(keys).toEqual(['Label', 'ProgramArguments', 'EnvironmentVariables', 'RunAtLoad', 'KeepAlive', 'ProcessType', 'StandardOutPath', 'StandardErrorPath']);
    const args = [...doc.querySelectorAll('plist > dict > array > string')].map((s) => s.textContent);
    expect(args).toEqual(tricky);
    expect(text).toContain(`<string>${LAUNCHD_LABEL}</string>`);
  });

  it('prints PowerShell lines for Windows with quoting that PowerShell keeps', () => {
    const lines = windowsServiceCommands(['C:\\Program Files\\nodejs\\node.exe', "C:\\Users\\o'neil\\cco\\cco-daemon.cjs", 'run']);
    expect(lines[0]).toBe(`$action = New-ScheduledTaskAction -Execute 'C:\\Program Files\\nodejs\\node.exe' -Argument 'C:\\Users\\o''neil\\cco\\cco-daemon.cjs run'`);
    expect(lines.some((l) => l.startsWith("Register-ScheduledTask -TaskName 'CCO Daemon'"))).toBe(true);
  });
});

describe('install-service / uninstall-service', () => {
  let dir: string;
  let log: string;
  let savedPath: string | undefined;

  /** Puts executables named `names` first on PATH; each appends its argv to `log` and exits with `code`. */
  const fakeTools = (names: string[], code = 0): void => {
    const bin = join(dir, 'bin');
    execFileSync('mkdir', ['-p', bin]);
    for (const name of names) {
      writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\nexit ${code}\n`);
      chmodSync(join(bin, name), 0o755);
    }
    process.env.PATH = `${bin}${delimiter}${savedPath ?? ''}`;
  };
  const calls = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cco-service-'));
    log = join(dir, 'calls.log');
    savedPath = process.env.PATH;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  const command = ['/usr/bin/node', '/opt/cco/cco-daemon.cjs', 'run', '--no-browser'];

  it.runIf(process.platform !== 'win32')('Linux: writes the user unit, reloads and enables it; uninstall undoes it', async () => {
    fakeTools(['systemctl']);
    const home = join(dir, 'home');
    const result = await installService({ platform: 'linux', homeDir: home, command });
    const unit = join(home, '.config', 'systemd', 'user', 'cco.service');
    expect(result.file).toBe(unit);
    expect(readFileSync(unit, 'utf8')).toContain('ExecStart="/usr/bin/node" "/opt/cco/cco-daemon.cjs" "run" "--no-browser"');
    expect(calls()).toEqual(['systemctl --user daemon-reload', 'systemctl --user enable --now cco.service']);
    expect(result.messages.join('\n')).toContain('loginctl enable-linger');

    const removed = await uninstallService({ platform: 'linux', homeDir: home });
    expect(existsSync(unit)).toBe(false);
    expect(removed.ran).toEqual(['systemctl --user disable --now cco.service', 'systemctl --user daemon-reload']);
    expect(calls().slice(2)).toEqual(['systemctl --user disable --now cco.service', 'systemctl --user daemon-reload']);
  });

  it.runIf(process.platform !== 'win32')('Linux: honours XDG_CONFIG_HOME and reports a failing systemctl', async () => {
    fakeTools(['systemctl'], 1);
    const xdg = join(dir, 'xdg');
    await expect(installService({ platform: 'linux', homeDir: join(dir, 'home'), xdgConfigHome: xdg, command })).rejects.toThrow(/systemctl --user daemon-reload failed \(exit 1\)/);
    expect(existsSync(join(xdg, 'systemd', 'user', 'cco.service'))).toBe(true);
    // uninstall tolerates a unit that systemd does not know
    await expect(uninstallService({ platform: 'linux', homeDir: join(dir, 'home'), xdgConfigHome: xdg })).resolves.toBeTruthy();
    expect(existsSync(join(xdg, 'systemd', 'user', 'cco.service'))).toBe(false);
  });

  it.runIf(process.platform !== 'win32')('macOS: writes the agent and bootstraps it in the gui domain', async () => {
    fakeTools(['launchctl']);
    const home = join(dir, 'home');
    const result = await installService({ platform: 'darwin', homeDir: home, command, uid: 501 });
    const plist = join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
    expect(result.file).toBe(plist);
    expect(readFileSync(plist, 'utf8')).toContain('<string>/opt/cco/cco-daemon.cjs</string>');
    expect(existsSync(join(home, 'Library', 'Logs', 'cco'))).toBe(true);
    expect(calls()).toEqual([`launchctl bootout gui/501/${LAUNCHD_LABEL}`, `launchctl bootstrap gui/501 ${plist}`, `launchctl enable gui/501/${LAUNCHD_LABEL}`]);
    await uninstallService({ platform: 'darwin', homeDir: home, uid: 501 });
    expect(existsSync(plist)).toBe(false);
    expect(calls().at(-1)).toBe(`launchctl bootout gui/501/${LAUNCHD_LABEL}`);
  });

  it('Windows: writes nothing and prints the commands', async () => {
    const home = join(dir, 'home');
    const result = await installService({ platform: 'win32', homeDir: home, command: ['C:\\node.exe', 'C:\\cco\\cco-daemon.cjs', 'run'] });
    expect(result.file).toBeNull();
    expect(result.ran).toEqual([]);
    expect(result.messages.join('\n')).toContain('Register-ScheduledTask');
    expect(existsSync(home)).toBe(false);
    expect((await uninstallService({ platform: 'win32', homeDir: home })).messages.join('\n')).toContain('Unregister-ScheduledTask');
  });

  it('refuses other platforms', async () => {
    await expect(installService({ platform: 'aix', homeDir: dir, command })).rejects.toThrow(/does not support aix/);
  });
});
