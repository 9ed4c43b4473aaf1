/**
 * Per-user proxy tokens for the central gateway (`cco users add|list|remove`). `<data>/users.json` (0600)
 * holds each user's name, the SHA-256 of their token and when it was made; the token itself is printed
 * once by `add` and never stored. The daemon re-reads the file when it changes (checked at most once a
 * second), so users added or removed while it runs take effect without a restart.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const USERS_FILE = 'users.json';
/** The header clients send their token in (ANTHROPIC_CUSTOM_HEADERS="x-cco-token: …"); never forwarded. */
export const TOKEN_HEADER = 'x-cco-token';

export interface UserEntry {
  name: string;
  tokenSha256: string;
  createdAt: string;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function fileOf(dataDir: string): string {
  return path.join(dataDir, USERS_FILE);
}

export function readUsers(dataDir: string): UserEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(fileOf(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const v: unknown = JSON.parse(text);
  if (!Array.isArray(v)) throw new Error(`${fileOf(dataDir)}: expected a JSON array of users`);
  return v.filter(
    (u): u is UserEntry => typeof u === 'object' && u !== null && typeof u.name === 'string' && typeof u.tokenSha256 === 'string' && typeof u.createdAt === 'string',
  );
}

function writeUsers(dataDir: string, users: UserEntry[]): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = fileOf(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(users, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Adds a user and returns their new token (shown once). Throws for a bad or taken name. */
export function addUser(dataDir: string, name: string, now = new Date()): string {
  if (!NAME_RE.test(name)) throw new Error(`invalid user name ${JSON.stringify(name)}: letters, digits, . _ @ - (at most 64)`);
  const users = readUsers(dataDir);
  if (users.some((u) => u.name === name)) throw new Error(`user ${name} exists: remove it first to issue a new token`);
  const token = `cco_${randomBytes(24).toString('base64url')}`;
  users.push({ name, tokenSha256: hashToken(token), createdAt: now.toISOString() });
  writeUsers(dataDir, users);
  return token;
}

/** Removes a user (their token stops working); false when there was none of that name. */
export function removeUser(dataDir: string, name: string): boolean {
  const users = readUsers(dataDir);
  const left = users.filter((u) => u.name !== name);
  if (left.length === users.length) return false;
  writeUsers(dataDir, left);
  return true;
}

/** Token → user name for the daemon; follows changes to users.json. */
export function createUserDirectory(dataDir: string, log?: (msg: string) => void): { userOf(token: string): string | null; count(): number } {
  let byHash = new Map<string, string>();
  let stamp = '';
  let checkedAt = 0;
  const refresh = () => {
    const now = Date.now();
    if (now - checkedAt < 1000) return;
    checkedAt = now;
    let st: fs.Stats | null;
    try {
      st = fs.statSync(fileOf(dataDir));
    } catch {
      st = null;
    }
    const s = st ? `${st.mtimeMs}:${st.size}:${st.ino}` : 'none';
    if (s === stamp) return;
    stamp = s;
    try {
      byHash = new Map(readUsers(dataDir).map((u) => [u.tokenSha256, u.name]));
    } catch (err) {
      log?.(`users: ${(err as Error).message}; keeping the previous list`);
    }
  };
  return {
    userOf(token) {
      refresh();
      return byHash.get(hashToken(token)) ?? null;
    },
    count() {
      refresh();
      return byHash.size;
    },
  };
}
