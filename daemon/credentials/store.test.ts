import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileVault } from './file-vault.ts';
import { kindOf, openCredentialStore, pickBackend } from './store.ts';

const dirs: string[] = [];
function tmpEnv(): NodeJS.ProcessEnv {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-cred-'));
  dirs.push(d);
  return { HOME: d, XDG_CONFIG_HOME: path.join(d, 'config'), XDG_DATA_HOME: path.join(d, 'data'), CCO_CREDENTIALS_BACKEND: 'file', PATH: process.env.PATH };
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const KEY = 'sk-ant-api03-THIS-is-a-test-key-0123456789abcdef';

describe('file vault', () => {
  it('round-trips a secret, encrypted at rest, key apart from data, both 0600', () => {
    const env = tmpEnv();
    const store = openCredentialStore(env);
    expect(store.backend).toBe('file');
    const info = store.set('anthropic', KEY);
    expect(info).toMatchObject({ name: 'anthropic', backend: 'file', kind: 'sk-ant-api03…' });
    expect(info.fingerprint).toMatch(/^[0-9a-f]{8}$/);
    expect(store.get('anthropic')).toBe(KEY);

    const dataFile = path.join(env.XDG_DATA_HOME!, 'cco', 'credentials', 'vault.json');
    const keyFile = path.join(env.XDG_CONFIG_HOME!, 'cco', 'credentials.key');
    expect(path.dirname(dataFile)).not.toBe(path.dirname(keyFile));
    for (const f of [dataFile, keyFile, path.join(path.dirname(dataFile), 'index.json')]) {
      expect(fs.statSync(f).mode & 0o777, f).toBe(0o600);
      expect(fs.readFileSync(f, 'utf8')).not.toContain('THIS-is-a-test-key');
    }
    expect(JSON.stringify(store.list())).not.toContain('THIS-is-a-test-key');
  });

  it('uses a fresh IV each time and detects tampering and a wrong key', () => {
    const env = tmpEnv();
    const data = path.join(env.HOME!, 'v.json');
    const keyFile = path.join(env.HOME!, 'k');
    const vault = createFileVault(data, keyFile);
    vault.set('a', 'same-secret');
    vault.set('b', 'same-secret');
    const file = JSON.parse(fs.readFileSync(data, 'utf8'));
    expect(file.entries.a.iv).not.toBe(file.entries.b.iv);
    expect(file.entries.a.data).not.toBe(file.entries.b.data);
    // Swapping entries is caught (the name is authenticated).
    file.entries.a = file.entries.b;
    fs.writeFileSync(data, JSON.stringify(file));
    expect(() => vault.get('a')).toThrow(/cannot be decrypted/);
    expect(vault.get('b')).toBe('same-secret');
    fs.writeFileSync(keyFile, Buffer.alloc(32, 7).toString('base64'));
    expect(() => vault.get('b')).toThrow(/wrong key or tampered/);
    fs.rmSync(keyFile);
    expect(() => vault.get('b')).toThrow(/is missing/);
  });

  it('lists, replaces and deletes', () => {
    const store = openCredentialStore(tmpEnv());
    store.set('anthropic', KEY);
    store.set('work', 'sk-ant-oat01-other-token-value');
    const first = store.list().find((i) => i.name === 'anthropic')!.fingerprint;
    store.set('anthropic', KEY + 'x');
    expect(store.list().map((i) => i.name)).toEqual(['anthropic', 'work']);
    expect(store.list().find((i) => i.name === 'anthropic')!.fingerprint).not.toBe(first);
    expect(store.delete('work')).toBe(true);
    expect(store.delete('work')).toBe(false);
    expect(store.get('work')).toBeNull();
    expect(store.list().map((i) => i.name)).toEqual(['anthropic']);
  });

  it('rejects bad names and multi-line secrets', () => {
    const store = openCredentialStore(tmpEnv());
    expect(() => store.set('../x', 'k')).toThrow(/not a valid credential name/);
    expect(() => store.set('a', 'line1\nline2')).toThrow(/one non-empty line/);
    expect(() => store.set('a', '')).toThrow(/one non-empty line/);
  });
});

describe('pickBackend', () => {
  it('falls back to the file vault without a keyring', () => {
    expect(pickBackend({ PATH: '' }, 'linux')).toBe('file');
    expect(pickBackend({ PATH: '' }, 'win32')).toBe('file');
    expect(pickBackend({ PATH: '', CCO_CREDENTIALS_BACKEND: 'keychain' }, 'linux')).toBe('keychain');
  });
  it('names the kind of a key by its prefix only', () => {
    expect(kindOf('sk-ant-api03-abc')).toBe('sk-ant-api03…');
    expect(kindOf('sk-ant-oat01-abc')).toBe('sk-ant-oat01…');
    expect(kindOf('whatever')).toBe('secret');
  });
});
