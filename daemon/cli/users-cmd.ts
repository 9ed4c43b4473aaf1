/**
 * `cco users add NAME | list | remove NAME`: per-user proxy tokens for the central gateway (a daemon that
 * listens beyond loopback admits only requests carrying one in `x-cco-token`). `add` prints the token once
 * (only its SHA-256 is kept, in `<data>/users.json`); a running daemon picks changes up within a second.
 */
import { loadConfig } from '../config/load.ts';
import { TOKEN_HEADER, addUser, readUsers, removeUser } from '../team/users.ts';
import { CliError, UsageError, type Io } from './common.ts';

export const USERS_USAGE = `Usage:
  cco users add NAME      create a user and print their proxy token (shown once)
  cco users list          users and when their token was made (never the tokens)
  cco users remove NAME   remove a user: their token stops working
`;

export function usersCommand(argv: string[], io: Io): number {
  const [sub, ...rest] = argv;
  const loaded = loadConfig({ env: io.env });
  const dataDir = loaded.config.database.path || loaded.dirs.dataDir;
  if (sub === 'add' && rest.length === 1) {
    let token: string;
    try {
      token = addUser(dataDir, rest[0]!);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    io.out(`${token}\n`);
    io.err(`User ${rest[0]} added. On their machine:\n  export ANTHROPIC_BASE_URL=http://<this server>:<port>\n  export ANTHROPIC_CUSTOM_HEADERS="${TOKEN_HEADER}: ${token}"\n`);
    return 0;
  }
  if (sub === 'list' && rest.length === 0) {
    const users = readUsers(dataDir);
    if (users.length === 0) io.out('no users (add one: cco users add NAME)\n');
    for (const u of users) io.out(`${u.name}\t${u.createdAt}\n`);
    return 0;
  }
  if (sub === 'remove' && rest.length === 1) {
    if (!removeUser(dataDir, rest[0]!)) throw new CliError(`no user ${rest[0]}`);
    io.out(`User ${rest[0]} removed.\n`);
    return 0;
  }
  throw new UsageError(USERS_USAGE);
}
