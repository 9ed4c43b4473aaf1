/**
 * Where daemon/host.ts puts the daemon (data folder, PID folder, host, port), computed from the same config
 * layers, without loading the daemon itself: the desktop app's main process reads it to probe for a daemon
 * already serving the folder (main/daemon-probe.ts) and must not pull the whole daemon in to do so.
 */
import path from 'node:path';
import { loadConfig, type LoadedConfig, type LoadOptions } from './config/load.ts';
import { pidDirOf } from './pidfile.ts';

/** Env with `dataDir` applied as CCO_DATA_DIR (what `--data-dir` means everywhere). */
export function hostEnv(env: NodeJS.ProcessEnv, dataDir?: string): NodeJS.ProcessEnv {
  return dataDir ? { ...env, CCO_DATA_DIR: path.resolve(dataDir) } : env;
}

/** Where hostDaemon would put the daemon: its data folder, PID folder, host and port (the app's probe reads these). */
export function hostTarget(opts: { env?: NodeJS.ProcessEnv; flags?: LoadOptions['flags']; configFile?: string; dataDir?: string } = {}): {
  dataDir: string;
  pidDir: string;
  host: string;
  port: number;
  loaded: LoadedConfig;
} {
  const env = hostEnv(opts.env ?? process.env, opts.dataDir);
  const loaded = loadConfig({ env, flags: opts.flags, file: opts.configFile && path.resolve(opts.configFile) });
  const { config, dirs } = loaded;
  return { dataDir: path.resolve(config.database.path || dirs.dataDir), pidDir: pidDirOf(dirs.dataDir), host: config.server.host, port: config.server.port, loaded };
}

