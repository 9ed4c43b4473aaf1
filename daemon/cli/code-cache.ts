/**
 * The built daemon's program run with a V8 code cache (daemon/cli/head.ts; issue 14, cold start).
 *
 * Node 20's CommonJS loader compiles a file with no cache: every start decodes the program's ~5 MB as UTF-8 and
 * compiles it, then compiles each function on its first call. Here the head reads the program as latin1 (the
 * build makes it pure ASCII: scripts/build-daemon.ts, asciiOnly), wraps it as Node's loader does, and compiles it
 * with `vm.Script` and the cache a previous run left beside it; after start (`writeCache`) it saves the code of
 * every function compiled so far, so the next start deserializes what it would compile. The program has no
 * `import()` (the build makes them `require()`): Node 20 loses a script's dynamic-import hook when its code comes
 * from a cache.
 *
 * The cache file is `<program>.<node version>-<arch>.v8`, mode 0600, written to a temporary name and renamed. Its
 * first line names the program's size and mtime: V8 checks a cache against its own version and flags and the
 * source's length only, so a program changed in place (same name, same length) must not meet an older cache.
 * A cache V8 rejects (another Node build, other flags) is rewritten; a folder the user cannot write (/opt/cco
 * run as another user) just has none. Nothing here is required: without a cache the program compiles as before.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** A program's code cache beside it (CODE_CACHE_FILE: `cco-program-<hash>.cjs.<node version>-<arch>.v8`). */
export function codeCacheFile(program: string): string {
  return `${program}.${process.version}-${process.arch}.v8`;
}

/** The cache's first line: the program file it was made from. */
function stamp(program: string): Buffer {
  const st = statSync(program);
  return Buffer.from(`cco-code-cache ${st.size} ${Math.trunc(st.mtimeMs)}\n`, 'latin1');
}

export interface RanProgram {
  /** What became of the cache: none found (or made for another file), used, or rejected by V8. */
  cache: 'none' | 'used' | 'rejected';
  /** Writes the code compiled so far as the program's cache; false when it could not be written. */
  writeCache(): boolean;
}

type Wrapper = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

/** Runs the CommonJS program `program` (an ASCII file) as Node's loader would, with its code cache when it has one. */
export function runProgram(program: string): RanProgram {
  const source = readFileSync(program, 'latin1');
  const head = stamp(program);
  const cacheFile = codeCacheFile(program);
  let cachedData: Buffer | undefined;
  try {
    const raw = readFileSync(cacheFile);
    if (raw.subarray(0, head.length).equals(head)) cachedData = raw.subarray(head.length);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(Module.wrap(source), {
    filename: program,
    ...(cachedData ? { cachedData } : {}),
    // No dynamic-import hook: Node 20 drops it from a script that comes from a cache, so the build turns the
    // program's import() into require() (scripts/build-daemon.ts); a stray import() fails the same with or without one.
  });
  const cache = cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'used';
  const mod = { exports: {} };
  (script.runInThisContext() as Wrapper).call(mod.exports, mod.exports, createRequire(program), mod, program, dirname(program));
  return {
    cache,
    writeCache: () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      let fd: number;
      try {
        fd = openSync(tmp, 'wx', 0o600); // first: a folder it cannot write costs no serializing
      } catch {
        return false;
      }
      try {
        writeSync(fd, head);
        writeSync(fd, script.createCachedData());
        closeSync(fd);
        renameSync(tmp, cacheFile);
        return true;
      } catch {
        try {
          closeSync(fd);
        } catch {
          // closed already
        }
        rmSync(tmp, { force: true });
        return false;
      }
    },
  };
}
