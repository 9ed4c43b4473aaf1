import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codeCacheFile, runProgram as runProgramHere } from './code-cache.ts';
import { CODE_CACHE_FILE } from './program-file.ts';

interface Ran {
  cache: string;
  written: boolean;
  filename: string;
  dirname: string;
  sep: string;
  exported: unknown;
  dynamic: string;
}

/** A CommonJS program that reports what Node's loader would give it, through a global the test reads. */
const program = (tag: string): string => `"use strict";
const path = require('node:path');
module.exports.tag = ${JSON.stringify(tag)};
globalThis.__ccoCodeCacheTest = {
  filename: __filename,
  dirname: __dirname,
  sep: path.sep,
  exported: module.exports.tag,
  dynamic: Promise.resolve().then(() => require('node:path').sep), // the build's form of import() (no vm hook)
};
function later() { return ${JSON.stringify(tag)}.length; }
later();
`;

/**
 * runProgram in a process of its own, as the head runs it (in one process V8's own compilation cache would
 * answer the second compile of the same source, whatever the cache file holds); `write` saves the cache after.
 */
function runProgram(file: string, write = false): Ran {
  const api = pathToFileURL(join(import.meta.dirname, 'code-cache.ts')).href;
  const code = `import(${JSON.stringify(api)}).then(async ({ runProgram }) => {
    const r = runProgram(${JSON.stringify(file)});
    const t = globalThis.__ccoCodeCacheTest;
    const written = ${write} ? r.writeCache() : false;
    process.stdout.write(JSON.stringify({ ...t, cache: r.cache, written, dynamic: await t.dynamic }));
  });`;
  return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' })) as Ran;
}

describe('runProgram (the built daemon head loading its program with a V8 code cache)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cco-code-cache-'));

  it("runs the program as Node's loader would, then with the cache it saved", () => {
    const file = join(dir, 'cco-program-0123456789ab.cjs');
    writeFileSync(file, program('first'));
    const first = runProgram(file, true);
    expect(first).toMatchObject({ cache: 'none', written: true, filename: file, dirname: dir, sep: '/', exported: 'first' });
    expect(first.dynamic).toBe('/');
    const cache = codeCacheFile(file);
    expect(basename(cache)).toMatch(CODE_CACHE_FILE);
    expect(statSync(cache).mode & 0o777).toBe(0o600);
    expect(readFileSync(cache).subarray(0, 15).toString()).toBe('cco-code-cache ');
    expect(runProgram(file)).toMatchObject({ cache: 'used', filename: file, exported: 'first', dynamic: '/' });
  });

  it('writes no cache where it cannot create its file, and leaves nothing behind', () => {
    const file = join(dir, 'cco-program-cccccccccccc.cjs');
    writeFileSync(file, program('nowhere'));
    // the temporary name taken by a folder: the open fails as in a folder this user cannot write (root writes anywhere)
    mkdirSync(`${codeCacheFile(file)}.${process.pid}.tmp`);
    const ran = runProgramHere(file); // in this process: the temporary name carries its pid
    expect(ran.writeCache()).toBe(false);
    expect(existsSync(codeCacheFile(file))).toBe(false);
  });

  it('a program changed in place, same length, does not meet the older cache', () => {
    const file = join(dir, 'cco-program-aaaaaaaaaaaa.cjs');
    writeFileSync(file, program('one'));
    expect(runProgram(file, true).written).toBe(true);
    writeFileSync(file, program('two')); // same length: V8 alone would take the cache for it
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(runProgram(file)).toMatchObject({ cache: 'none', exported: 'two' });
  });

  it('a cache V8 rejects is not used, the program runs, and the cache is written anew', () => {
    const file = join(dir, 'cco-program-bbbbbbbbbbbb.cjs');
    writeFileSync(file, program('rejected'));
    expect(runProgram(file, true).written).toBe(true);
    const cache = codeCacheFile(file);
    const bytes = readFileSync(cache);
    const line = bytes.indexOf(0x0a) + 1;
    writeFileSync(cache, Buffer.concat([bytes.subarray(0, line), Buffer.alloc(bytes.length - line, 7)]));
    expect(runProgram(file, true)).toMatchObject({ cache: 'rejected', exported: 'rejected', written: true });
    expect(runProgram(file).cache).toBe('used');
  });
});
