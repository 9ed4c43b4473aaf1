/**
 * `dist/cco-statusline.cjs`: the status-line command alone (daemon/cli/statusline-main.ts), a few KB.
 * Claude Code runs its status-line command on every update; this file starts in about the time of a bare
 * `node`, where the full `cco-daemon.cjs` first has to parse megabytes. Built by `npm run build:daemon`.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildStatusline(outfile = resolve(root, 'dist', 'cco-statusline.cjs')): Promise<{ outfile: string; bytes: number }> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [resolve(root, 'daemon', 'cli', 'statusline-main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
    banner: { js: '#!/usr/bin/env node\nvar __cco_import_meta_url = require("url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__cco_import_meta_url' },
  });
  chmodSync(outfile, 0o755);
  return { outfile, bytes: statSync(outfile).size };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildStatusline(process.argv[2]).then(
    ({ outfile, bytes }) => process.stdout.write(`${outfile} (${(bytes / 1024).toFixed(1)} KB)\n`),
    (err: Error) => {
      process.stderr.write(`build:statusline failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}
