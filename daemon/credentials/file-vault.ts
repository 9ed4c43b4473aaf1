/**
 * The file fallback of the credential store: secrets encrypted with AES-256-GCM (random 96-bit IV per
 * entry, 128-bit tag, the entry name as associated data) in a 0600 JSON file; the 32-byte key lives in a
 * different 0600 file, in a different directory where the platform has one (config dir vs data dir).
 * Tampering or a wrong key is an error, never garbage.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface VaultEntry {
  iv: string;
  tag: string;
  data: string;
}

interface VaultFile {
  version: 1;
  entries: Record<string, VaultEntry>;
}

export interface FileVault {
  readonly dataFile: string;
  readonly keyFile: string;
  get(name: string): string | null;
  set(name: string, secret: string): void;
  delete(name: string): boolean;
  names(): string[];
}

function writePrivate(file: string, content: string | Buffer) {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

export function createFileVault(dataFile: string, keyFile: string): FileVault {
  const readKey = (create: boolean): Buffer | null => {
    try {
      const key = Buffer.from(fs.readFileSync(keyFile, 'utf8').trim(), 'base64');
      if (key.length !== 32) throw new Error(`${keyFile}: not a 256-bit key`);
      return key;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (!create) return null;
      const key = randomBytes(32);
      writePrivate(keyFile, key.toString('base64') + '\n');
      return key;
    }
  };
  const read = (): VaultFile => {
    try {
      const v = JSON.parse(fs.readFileSync(dataFile, 'utf8')) as VaultFile;
      if (v.version !== 1 || typeof v.entries !== 'object') throw new Error('unknown format');
      return v;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: {} };
      throw new Error(`${dataFile}: unreadable credential store (${(err as Error).message})`, { cause: err });
    }
  };
  return {
    dataFile,
    keyFile,
    get(name) {
      const e = read().entries[name];
      if (!e) return null;
      const key = readKey(false);
      if (!key) throw new Error(`${keyFile} is missing: the stored credentials cannot be decrypted; store them again`);
      try {
        const d = createDecipheriv('aes-256-gcm', key, Buffer.from(e.iv, 'base64'));
        d.setAAD(Buffer.from(name));
        d.setAuthTag(Buffer.from(e.tag, 'base64'));
        return Buffer.concat([d.update(Buffer.from(e.data, 'base64')), d.final()]).toString('utf8');
      } catch {
        throw new Error(`credential "${name}" in ${dataFile} cannot be decrypted (wrong key or tampered file)`);
      }
    },
    set(name, secret) {
      const key = readKey(true)!;
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(Buffer.from(name));
      const data = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
      const v = read();
      v.entries[name] = { iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), data: data.toString('base64') };
      writePrivate(dataFile, JSON.stringify(v, null, 2) + '\n');
    },
    delete(name) {
      const v = read();
      if (!(name in v.entries)) return false;
      delete v.entries[name];
      writePrivate(dataFile, JSON.stringify(v, null, 2) + '\n');
      return true;
    },
    names: () => Object.keys(read().entries).sort(),
  };
}
