/**
 * The credential store behind `cco credentials` and the daemon's default key. Backends:
 *   - macOS Keychain (`security` generic passwords, service "cco");
 *   - Linux Secret Service (`secret-tool`, when installed and a session bus is there);
 *   - the AES-256-GCM file vault everywhere else (file-vault.ts) — what runs on headless Linux and here.
 * `CCO_CREDENTIALS_BACKEND=file|keychain|secret-tool` forces one. An index of names, backends, dates and a
 * short fingerprint (never the secret) lets `list` work the same for every backend.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { platformDirs } from '../config/paths.ts';
import { createFileVault } from './file-vault.ts';

export type Backend = 'keychain' | 'secret-tool' | 'file';
export const DEFAULT_CREDENTIAL = 'anthropic';
const SERVICE = 'cco';

export interface CredentialInfo {
  name: string;
  backend: Backend;
  stored_at: string;
  /** First 8 hex of sha256(secret): tells two keys apart without revealing either. */
  fingerprint: string;
  /** A hint of the secret's kind, e.g. "sk-ant-api03…" (prefix only). */
  kind: string;
}

export interface CredentialStore {
  readonly backend: Backend;
  set(name: string, secret: string): CredentialInfo;
  get(name: string): string | null;
  delete(name: string): boolean;
  list(): CredentialInfo[];
}

function onPath(cmd: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, cmd)));
}

export function pickBackend(env: NodeJS.ProcessEnv = process.env, platform = process.platform): Backend {
  const forced = env.CCO_CREDENTIALS_BACKEND;
  if (forced === 'file' || forced === 'keychain' || forced === 'secret-tool') return forced;
  if (platform === 'darwin' && onPath('security', env)) return 'keychain';
  if (platform === 'linux' && env.DBUS_SESSION_BUS_ADDRESS && onPath('secret-tool', env)) return 'secret-tool';
  return 'file';
}

export function validName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name);
}

interface Keyring {
  get(name: string): string | null;
  set(name: string, secret: string): void;
  delete(name: string): boolean;
}

function keychain(): Keyring {
  return {
    get(name) {
      const r = spawnSync('security', ['find-generic-password', '-s', SERVICE, '-a', name, '-w'], { encoding: 'utf8' });
      return r.status === 0 ? r.stdout.replace(/\n$/, '') : null;
    },
    set(name, secret) {
      // `-w` as the last option with no value makes `security` prompt; pass the value through stdin instead.
      execFileSync('security', ['add-generic-password', '-U', '-s', SERVICE, '-a', name, '-w'], { input: `${secret}\n${secret}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
    },
    delete(name) {
      return spawnSync('security', ['delete-generic-password', '-s', SERVICE, '-a', name], { stdio: 'ignore' }).status === 0;
    },
  };
}

function secretTool(): Keyring {
  return {
    get(name) {
      const r = spawnSync('secret-tool', ['lookup', 'service', SERVICE, 'account', name], { encoding: 'utf8' });
      return r.status === 0 && r.stdout ? r.stdout : null;
    },
    set(name, secret) {
      execFileSync('secret-tool', ['store', `--label=CCO ${name}`, 'service', SERVICE, 'account', name], { input: secret, stdio: ['pipe', 'ignore', 'pipe'] });
    },
    delete(name) {
      return spawnSync('secret-tool', ['clear', 'service', SERVICE, 'account', name], { stdio: 'ignore' }).status === 0;
    },
  };
}

export function kindOf(secret: string): string {
  const m = /^(sk-ant-[a-z]+\d*)-/.exec(secret);
  return m ? `${m[1]}…` : 'secret';
}

export function openCredentialStore(env: NodeJS.ProcessEnv = process.env): CredentialStore {
  const dirs = platformDirs(env);
  const backend = pickBackend(env);
  const dataDir = path.join(dirs.dataDir, 'credentials');
  const indexFile = path.join(dataDir, 'index.json');
  const vault = createFileVault(path.join(dataDir, 'vault.json'), path.join(dirs.configDir, 'credentials.key'));
  const ring: Keyring = backend === 'keychain' ? keychain() : backend === 'secret-tool' ? secretTool() : vault;

  const readIndex = (): CredentialInfo[] => {
    try {
      return JSON.parse(fs.readFileSync(indexFile, 'utf8')) as CredentialInfo[];
    } catch {
      return [];
    }
  };
  const writeIndex = (items: CredentialInfo[]) => {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(indexFile, JSON.stringify(items, null, 2) + '\n', { mode: 0o600 });
  };
  const check = (name: string) => {
    if (!validName(name)) throw new Error(`"${name}" is not a valid credential name (letters, digits, . _ -; up to 64)`);
  };

  return {
    backend,
    set(name, secret) {
      check(name);
      if (!secret || /[\r\n]/.test(secret)) throw new Error('the secret must be one non-empty line');
      ring.set(name, secret);
      const info: CredentialInfo = {
        name,
        backend,
        stored_at: new Date().toISOString(),
        fingerprint: createHash('sha256').update(secret).digest('hex').slice(0, 8),
        kind: kindOf(secret),
      };
      writeIndex([...readIndex().filter((i) => i.name !== name), info].sort((a, b) => a.name.localeCompare(b.name)));
      return info;
    },
    get(name) {
      check(name);
      return ring.get(name);
    },
    delete(name) {
      check(name);
      const existed = ring.delete(name);
      const index = readIndex();
      writeIndex(index.filter((i) => i.name !== name));
      return existed || index.some((i) => i.name === name);
    },
    list: readIndex,
  };
}
