import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { usersCommand } from '../cli/users-cmd.ts';
import { USERS_FILE, addUser, createUserDirectory, hashToken, readUsers, removeUser } from './users.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cco-users-'));

describe('per-user proxy tokens', () => {
  it('add keeps only the token hash (file 0600); the directory maps tokens to users; remove revokes', async () => {
    const dir = tmp();
    const users = createUserDirectory(dir);
    const token = addUser(dir, 'alice');
    expect(token).toMatch(/^cco_[A-Za-z0-9_-]{32}$/);
    const text = fs.readFileSync(path.join(dir, USERS_FILE), 'utf8');
    expect(text).not.toContain(token);
    expect(text).toContain(hashToken(token));
    expect(fs.statSync(path.join(dir, USERS_FILE)).mode & 0o777).toBe(0o600);
    expect(users.userOf(token)).toBe('alice');
    expect(users.userOf(token + 'x')).toBeNull();
    expect(() => addUser(dir, 'alice')).toThrow(/exists/);
    expect(() => addUser(dir, 'bad name')).toThrow(/invalid user name/);
    expect(removeUser(dir, 'alice')).toBe(true);
    expect(removeUser(dir, 'alice')).toBe(false);
    await new Promise((r) => setTimeout(r, 1100)); // the directory re-reads the file at most once a second
    expect(users.userOf(token)).toBeNull();
  });

  it('cco users add | list | remove', () => {
    const dir = tmp();
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: () => undefined, env: { HOME: dir, CCO_DATA_DIR: dir, CCO_CONFIG_DIR: dir } };
    expect(usersCommand(['add', 'bob'], io)).toBe(0);
    const token = out[0]!.trim();
    expect(readUsers(dir).map((u) => u.name)).toEqual(['bob']);
    expect(readUsers(dir)[0]!.tokenSha256).toBe(hashToken(token));
    out.length = 0;
    usersCommand(['list'], io);
    expect(out.join('')).toMatch(/^bob\t\d{4}-/);
    expect(out.join('')).not.toContain(token);
    expect(usersCommand(['remove', 'bob'], io)).toBe(0);
    expect(() => usersCommand(['remove', 'bob'], io)).toThrow(/no user bob/);
    expect(() => usersCommand(['frobnicate'], io)).toThrow(/Usage/);
  });
});
