/**
 * Electron main: composition only. Each piece is a small tested module; this file wires Electron objects
 * into them. Modes: normal (tray + popover + supervised daemon) and `--daemon` (headless server).
 */
import { BrowserWindow, Menu, Notification, Tray, app, ipcMain, nativeImage, protocol, screen, session, shell, utilityProcess } from 'electron';
import electronUpdater from 'electron-updater';
import { entryFlags, hostedHandle, readEntryOptions, storeWorkerBeside } from '../daemon/entry-utility.ts';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, createAppProtocolHandler } from './app-protocol.ts';
import { installDaemonCors } from './daemon-cors.ts';
import { applyHeadlessSwitches, isDaemonMode, runHeadlessDaemon } from './daemon-mode.ts';
import { askPort, defaultProbeDeps, probeDaemon } from './daemon-probe.ts';
import { hostTarget } from '../daemon/host-target.ts';
import { EVENTS } from '../shared/ipc-contract.ts';
import { registerIpc, sendEvent } from './ipc.ts';
import { createLoginItem } from './login-item.ts';
import { APP_ID, selfUpdate, startupSwitches } from './platform.ts';
import { syncLoginItem, takeFirstRun } from './startup.ts';
import { createNotifier } from './notifications.ts';
import { createAlertNotifier } from './limit-alerts.ts';
import { appPaths } from './paths.ts';
import { Popover, popoverWindowOptions } from './popover.ts';
import { denyAllPermissions, guardAllWebContents, secureWebPreferences } from './security.ts';
import { createSettingsStore } from './settings.ts';
import { SpendFeed, type SpendFigures } from './spend-feed.ts';
import { SMOKE_FLAG, runSmoke } from './smoke.ts';
import { utilityProcessSpawner } from './spawners.ts';
import { DaemonSupervisor, type SupervisorSnapshot } from './supervisor.ts';
import type { TrayAction, TrayModel } from './tray-state.ts';
import { TrayController } from './tray.ts';
import { isGuardAction, runGuardAction } from './guard-actions.ts';
import { UpdateService, checkFeedback } from './updater.ts';

const log = (line: string) => console.log(line);
const platform = process.platform;
const paths = appPaths({ appPath: app.getAppPath(), isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, env: process.env });
if (paths.userDataOverride) app.setPath('userData', paths.userDataOverride);

if (isDaemonMode(process.argv)) {
  applyHeadlessSwitches(app.commandLine, platform);
  app.dock?.hide();
  app.on('window-all-closed', () => {});
  void app.whenReady().then(() =>
    runHeadlessDaemon({
      options: readEntryOptions(process.argv.slice(1).filter((a) => a !== '--daemon'), process.env),
      // The same composition as `cco run` and the utility process (daemon/host.ts).
      start: async (options) =>
        hostedHandle(
          await (await import('../daemon/host.ts')).hostDaemon({
            env: process.env,
            flags: entryFlags(options),
            ...(options.dataDir ? { dataDir: options.dataDir } : {}),
            staticDir: paths.rendererDir,
            warn: (line) => log(`cco: warning: ${line}`),
            // the store worker build-app.ts puts beside this entry (out/main/store-worker.js)
            storeWorker: storeWorkerBeside(import.meta.url),
          }),
        ),
      log,
      onSignal: (handler) => {
        process.once('SIGINT', () => handler('SIGINT'));
        process.once('SIGTERM', () => handler('SIGTERM'));
      },
      exit: (code) => app.exit(code),
    }),
  );
} else {
  // Before ready: X11 under Wayland (main/platform.ts); Windows notification identity.
  for (const [name, value] of startupSwitches({ platform, env: process.env, argv: process.argv })) {
    if (name === 'ozone-platform') app.commandLine.removeSwitch(name);
    app.commandLine.appendSwitch(name, value);
    log(`startup: --${name}${value ? `=${value}` : ''}`);
  }
  if (platform === 'win32') app.setAppUserModelId(APP_ID);
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
  } else {
    void app.whenReady().then(startApp);
  }
}

function startApp(): void {
  app.dock?.hide();
  const settings = createSettingsStore(app.getPath('userData'));
  const trusted = new Set<number>();
  denyAllPermissions(session.defaultSession, [APP_ORIGIN]);
  guardAllWebContents(app, shell, [APP_ORIGIN], log);
  protocol.handle(APP_SCHEME, createAppProtocolHandler(paths.rendererDir));
  installDaemonCors(session.defaultSession, () => {
    const url = supervisor.snapshot.url;
    return { daemonOrigin: url ? new URL(url).origin : null, appOrigin: APP_ORIGIN };
  });

  const notifier = createNotifier({
    show: (title, body) => {
      if (Notification.isSupported()) new Notification({ title, body, silent: true }).show();
    },
  });
  const loginItem = createLoginItem({
    platform, app, env: process.env, execPath: process.execPath, args: app.isPackaged ? [] : [app.getAppPath()],
  });
  syncLoginItem(loginItem, settings, platform);
  const firstRun = takeFirstRun(settings);
  let updateConfig: { auto_check: boolean; channel: 'stable' | 'beta' } = { auto_check: true, channel: 'stable' };
  try {
    updateConfig = hostTarget({ env: process.env }).loaded.config.updates;
  } catch (err) {
    log(`config: ${(err as Error).message} (update defaults in use)`);
  }

  const supervisor = new DaemonSupervisor({
    spawn: utilityProcessSpawner(utilityProcess, {
      entry: paths.daemonEntry,
      env: { ...process.env, CCO_STATIC_DIR: paths.rendererDir },
      onOutput: (_stream, line) => log(`[daemon] ${line}`),
    }),
    log,
    // A daemon already serving this data folder (cco install-service, cco run) is attached to, not fought.
    probe: async () => {
      let target;
      try {
        target = hostTarget({ env: process.env });
      } catch {
        return { kind: 'free' }; // a bad config.toml: the daemon's own start reports it
      }
      return probeDaemon(target, defaultProbeDeps());
    },
    isAlive: async (url) => {
      const u = new URL(url);
      return (await askPort(u.hostname.replace(/^\[|\]$/g, ''), Number(u.port))).kind === 'cco';
    },
  });
  supervisor.setRecording(settings.get().recording);
  app.on('child-process-gone', (_e, d) => {
    if (d.type === 'Utility' && d.name === 'cco-daemon') log(`daemon process gone: ${d.reason} (exit ${d.exitCode})`);
  });

  const selfUpdating = selfUpdate({ isPackaged: app.isPackaged, platform, execPath: process.execPath, env: process.env });
  const updates = selfUpdating.enabled
    ? new UpdateService({ updater: electronUpdater.autoUpdater, log, channel: updateConfig.channel, autoCheck: updateConfig.auto_check })
    : null;
  updates?.onStatus((s) => {
    if (s.state.kind === 'available') notifier.notify({ key: 'update-available', title: 'CCO update available', body: `Version ${s.state.version}: "Download update" in the tray menu or the popover.` });
    if (s.state.kind === 'downloaded') notifier.notify({ key: 'update-downloaded', title: 'CCO update ready', body: `"Restart to install ${s.state.version}" in the tray menu or the popover.` });
    tray.update(model());
    sendEvent([popover.window?.webContents, dashboard?.webContents].filter((w) => w !== undefined), EVENTS.updateChanged, s);
  });
  let manualChecks = 0;
  const checkUpdatesNow = async () => {
    const key = `update-check-${++manualChecks}`;
    if (!updates) {
      notifier.notify({ key, title: 'Updates', body: selfUpdating.enabled ? '' : selfUpdating.reason });
      return null;
    }
    const status = await updates.check();
    const feedback = checkFeedback(status);
    if (feedback) notifier.notify({ key, ...feedback });
    return status;
  };

  let spend: SpendFigures | null = null;
  const alertNotifier = createAlertNotifier(Notification);
  let feed: SpendFeed | null = null;
  let lastReadyPid: number | null = null;
  const model = (s: SupervisorSnapshot = supervisor.snapshot): TrayModel => ({
    daemon: s.state,
    lastError: s.lastError,
    todayNanoUsd: s.state === 'ready' ? (spend?.todayNanoUsd ?? null) : null,
    monthNanoUsd: s.state === 'ready' ? (spend?.monthNanoUsd ?? null) : null,
    unpricedToday: spend?.unpricedToday ?? 0,
    recording: settings.get().recording,
    launchAtLogin: settings.get().launchAtLogin,
    limit: s.state === 'ready' ? (spend?.limit ?? null) : null,
    attached: s.attached,
    health: s.state === 'ready' ? (spend?.health ?? null) : null,
    update: updates?.getStatus().state ?? null,
    guards: s.state === 'ready' ? (spend?.guards ?? null) : null,
  });

  const popover = new Popover({
    platform,
    url: `${APP_ORIGIN}/index.html#/popover`,
    createWindow: () => new BrowserWindow(popoverWindowOptions(platform, secureWebPreferences(paths.preload))),
    screen,
    onCreated: (w) => trusted.add(w.webContents.id),
    onDestroyed: (id) => trusted.delete(id),
  });

  let dashboard: BrowserWindow | null = null;
  const openDashboard = (requestId?: string) => {
    const url = `${APP_ORIGIN}/index.html${requestId ? `#/requests/${encodeURIComponent(requestId)}` : '#/'}`;
    if (!dashboard || dashboard.isDestroyed()) {
      dashboard = new BrowserWindow({ width: 1200, height: 800, show: false, title: 'CCO', webPreferences: secureWebPreferences(paths.preload) });
      const id = dashboard.webContents.id;
      trusted.add(id);
      dashboard.on('closed', () => trusted.delete(id));
      dashboard.once('ready-to-show', () => dashboard?.show());
    } else {
      dashboard.show();
      dashboard.focus();
    }
    void dashboard.loadURL(url);
    popover.hide();
  };

  const tray = new TrayController({
    platform,
    assetsDir: paths.assetsDir,
    createTray: (image) => new Tray(image),
    loadImage: (file) => nativeImage.createFromPath(file),
    buildMenu: (template) => Menu.buildFromTemplate(template),
    onClick: (bounds) => popover.toggle(bounds),
    onAction: (action: TrayAction) => {
      if (isGuardAction(action)) {
        const s = supervisor.snapshot;
        if (s.state !== 'ready' || !s.url || !s.token) return;
        return void runGuardAction({ baseUrl: s.url, token: s.token }, action, spend?.guards ?? null).then(
          (guards) => {
            if (spend) spend = { ...spend, guards };
            tray.update(model());
          },
          (err: unknown) => notifier.notify({ key: `guard-${action}`, title: 'CCO', body: `That did not work: ${(err as Error).message}` }),
        );
      }
      switch (action) {
        case 'open-popover': return popover.show(tray.bounds());
        case 'open-dashboard': return openDashboard();
        case 'toggle-recording': {
          const recording = !settings.get().recording;
          settings.update({ recording });
          supervisor.setRecording(recording);
          return tray.update(model());
        }
        case 'restart-daemon': return void supervisor.restart();
        case 'check-updates': return void checkUpdatesNow();
        case 'download-update': return void updates?.download();
        case 'install-update': return void installUpdate();
        case 'toggle-launch-at-login': {
          const on = !settings.get().launchAtLogin;
          loginItem.setEnabled(on);
          settings.update({ launchAtLogin: on });
          return tray.update(model());
        }
        case 'quit': return app.quit();
      }
    },
  });

  supervisor.onChange((s) => {
    tray.update(model(s));
    if (s.state === 'ready' && s.url && s.token && s.pid !== lastReadyPid) {
      const restarted = lastReadyPid !== null;
      lastReadyPid = s.pid;
      feed?.stop();
      feed = new SpendFeed({ baseUrl: s.url, token: s.token, log, onUpdate: (f) => ((spend = f), tray.update(model())), onAlert: (a) => void alertNotifier.show(a) });
      feed.start();
      if (restarted) sendEvent([popover.window?.webContents, dashboard?.webContents].filter((w) => w !== undefined), EVENTS.daemonRestarted);
    } else if (s.state !== 'ready' && feed) {
      feed.stop();
      feed = null;
    }
    if (s.state === 'refused') {
      notifier.notify({ key: 'daemon-refused', title: 'CCO did not start its daemon', body: s.lastError ?? 'The data folder or port is in use.' });
    }
    if (s.state === 'failed') {
      notifier.notify({ key: 'daemon-crash-loop', title: 'CCO daemon stopped', body: `${s.lastError ?? 'It crashed repeatedly.'} Use "Restart daemon" in the tray menu.` });
    }
  });

  registerIpc({
    ipcMain,
    trustedIds: () => trusted,
    log,
    handlers: {
      'cco:daemon:info': () => {
        const s = supervisor.snapshot;
        if (s.state !== 'ready' || !s.url || !s.token) throw new Error(`daemon not ready (${s.state})`);
        return { baseUrl: s.url, token: s.token };
      },
      'cco:app:open-dashboard': (requestId?: string) => openDashboard(requestId),
      'cco:app:hide-popover': () => popover.hide(),
      'cco:app:quit': () => app.quit(),
      'cco:app:popover-blurred': () => popover.onBlur(),
      'cco:update:status': () => updates?.getStatus() ?? null,
      'cco:update:check': () => checkUpdatesNow(),
      'cco:update:download': async () => (updates ? await updates.download() : null),
      'cco:update:install': async () => void (await installUpdate()),
    },
  });

  tray.start(model());
  supervisor.start();
  updates?.start();
  app.on('second-instance', () => popover.show(tray.bounds()));
  app.on('window-all-closed', () => {}); // a tray app keeps running without windows

  let quitting = false;
  // Restart to install: stop the daemon cleanly (flush, final snapshot) BEFORE the installer replaces the
  // files and before quitAndInstall's quit, which the before-quit guard below then lets through.
  async function installUpdate(): Promise<void> {
    if (!updates) return;
    await updates.install(async () => {
      quitting = true;
      feed?.stop();
      popover.destroy();
      await supervisor.stop();
      tray.stop();
    });
  }
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    quitting = true;
    updates?.stop();
    feed?.stop();
    popover.destroy();
    void supervisor.stop().finally(() => {
      tray.stop();
      app.quit();
    });
  });

  if (process.argv.includes(SMOKE_FLAG)) {
    void runSmoke({
      daemonReady: () =>
        new Promise<string>((resolve, reject) => {
          const check = (s: SupervisorSnapshot) => {
            if (s.state === 'ready' && s.url) {
              off();
              resolve(s.url);
            } else if (s.state === 'failed' || s.state === 'refused') {
              off();
              reject(new Error(`daemon ${s.state}: ${s.lastError ?? ''}`));
            }
          };
          const off = supervisor.onChange(check);
          check(supervisor.snapshot);
        }),
      health: async (url) => (await fetch(`${url}/health`)).ok,
      openPopover: () =>
        new Promise<void>((resolve, reject) => {
          popover.show(tray.bounds());
          const wc = (popover.window as BrowserWindow | null)?.webContents;
          if (!wc) return reject(new Error('no popover window'));
          if (!wc.isLoading()) return resolve();
          wc.once('did-finish-load', () => resolve());
          wc.once('did-fail-load', (_e, code, desc) => reject(new Error(`popover page failed to load: ${desc} (${code})`)));
        }),
      closePopover: () => popover.hide(),
      log,
      exit: (code) => {
        quitting = true;
        void supervisor.stop().finally(() => app.exit(code));
      },
    });
  } else if (process.env.CCO_E2E === '1') {
    // Test-only hook for Playwright (the OS tray cannot be clicked): never set in production.
    (globalThis as Record<string, unknown>).__cco = {
      showPopover: () => popover.show(tray.bounds()),
      daemon: () => supervisor.snapshot,
      tray: () => model(),
      rendererOrigin: `${APP_SCHEME}://${APP_HOST}`,
    };
  } else if (firstRun) {
    // Only the very first run opens the popover by itself (wasOpenedAtLogin is unreliable with SMAppService).
    const off = supervisor.onChange((s) => {
      if (s.state === 'ready') {
        off();
        popover.show(tray.bounds());
      }
    });
  }
}
