/**
 * The built daemon's program file's name: `cco-program-<12 hex of its SHA-256>.cjs`, beside the head
 * `cco-daemon.cjs` that loads it (daemon/cli/head.ts; build, release, install.sh, install.ps1, `cco update`).
 */
export const PROGRAM_FILE = /^cco-program-[0-9a-f]{12}\.cjs$/;

/** A program's V8 code cache beside it (daemon/cli/code-cache.ts): `cco-program-<hash>.cjs.<node version>-<arch>.v8`. */
export const CODE_CACHE_FILE = /^cco-program-[0-9a-f]{12}\.cjs\..+\.v8$/;

/** Whether `name` is the code cache of the program file named `program`. */
export const isCodeCacheOf = (name: string, program: string): boolean => CODE_CACHE_FILE.test(name) && name.startsWith(`${program}.`);
