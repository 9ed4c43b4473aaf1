/**
 * `cco credentials store [NAME] [KEY] | list | delete [NAME]`. NAME defaults to "anthropic" (the key the
 * daemon adds for clients that send none). Without KEY the secret is read from stdin (not echoed), so it
 * stays out of shell history and `ps`. `list` shows names, backend, date and a fingerprint — never a key.
 */
import { DEFAULT_CREDENTIAL, openCredentialStore } from '../credentials/store.ts';
import { CliError, UsageError, type Io } from './common.ts';

export const CREDENTIALS_USAGE = `Usage:
  cco credentials store [NAME] [KEY]   store a key (NAME default "anthropic"; KEY from stdin when omitted)
  cco credentials list                 names, backend and fingerprints (never the keys)
  cco credentials delete [NAME]        remove a key
`;

async function readSecret(prompt: string, io: Io): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    io.err(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    return new Promise((resolve, reject) => {
      let s = '';
      const onData = (d: Buffer) => {
        for (const ch of d.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off('data', onData);
            io.err('\n');
            return resolve(s);
          }
          if (ch === '\u0003') {
            stdin.setRawMode(false);
            stdin.off('data', onData);
            return reject(new CliError('cancelled'));
          }
          s = ch === '\u007f' ? s.slice(0, -1) : s + ch;
        }
      };
      stdin.on('data', onData);
    });
  }
  let text = '';
  for await (const chunk of stdin) text += String(chunk);
  return text.trim();
}

export async function credentialsCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  const store = openCredentialStore(io.env);
  try {
    if (sub === 'store') {
      if (rest.length > 2) throw new UsageError(CREDENTIALS_USAGE);
      const name = rest[0] ?? DEFAULT_CREDENTIAL;
      const secret = rest[1] ?? (await readSecret(`Key for "${name}": `, io));
      const info = store.set(name, secret.trim());
      io.out(`Stored "${info.name}" (${info.kind}, fingerprint ${info.fingerprint}) in the ${describe(info.backend)}.\n`);
      if (rest[1] !== undefined) io.err('note: a key given on the command line may be kept in your shell history; next time pipe it on stdin.\n');
      return 0;
    }
    if (sub === 'list') {
      const items = store.list();
      if (!items.length) {
        io.out('No stored credentials.\n');
        return 0;
      }
      for (const i of items) io.out(`${i.name.padEnd(16)} ${i.kind.padEnd(16)} fingerprint ${i.fingerprint}  ${describe(i.backend)}  stored ${i.stored_at}\n`);
      return 0;
    }
    if (sub === 'delete') {
      if (rest.length > 1) throw new UsageError(CREDENTIALS_USAGE);
      const name = rest[0] ?? DEFAULT_CREDENTIAL;
      if (!store.delete(name)) throw new CliError(`no stored credential named "${name}"`);
      io.out(`Deleted "${name}".\n`);
      return 0;
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof CliError) throw err;
    throw new CliError((err as Error).message);
  }
  throw new UsageError(CREDENTIALS_USAGE);
}

function describe(b: string): string {
  return b === 'keychain' ? 'macOS Keychain' : b === 'secret-tool' ? 'Secret Service keyring' : 'encrypted file vault';
}
