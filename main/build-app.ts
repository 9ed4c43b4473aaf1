/**
 * Builds the Electron app into out/ with esbuild: main (ESM), the daemon utility-process entry (ESM),
 * the store worker beside each, and the sandboxed preload (one CommonJS file). Copies the built renderer (daemon/public, from
 * `npm run build:renderer`) to out/renderer, which app:// and the daemon's dashboard both serve.
 * Run: `tsx main/build-app.ts` (npm run build:electron).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { loadSqlJs } from '../daemon/store/db.ts';
import { makeSchemaImage } from '../daemon/store/schema-image.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Packages bundled into out/ instead of shipped in app.asar's node_modules (package.json devDependencies). */
const BUNDLED = /^@opentelemetry\//;

/**
 * Runtime packages stay external (electron-builder packs package.json `dependencies` into app.asar), except
 * BUNDLED: the OpenTelemetry SDK is used only by daemon/metrics/otlp-sdk.ts behind a dynamic import, so with
 * ESM splitting it becomes a chunk of its own, read only when `[metrics] otlp_endpoint` is set. Its
 * node_modules tree (27 MB on disk, 5.6 MB of it JavaScript) stays out of app.asar (package:smoke checks it).
 */
const externalsExceptBundled: Plugin = {
  name: 'cco-externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.kind === 'entry-point' || BUNDLED.test(args.path) ? undefined : { path: args.path, external: true }));
  },
};

export async function buildApp(opts: { root?: string; outDir?: string } = {}): Promise<string[]> {
  const base = opts.root ?? root;
  const out = opts.outDir ?? path.join(base, 'out');
  const version = (JSON.parse(fs.readFileSync(path.join(base, 'package.json'), 'utf8')) as { version: string }).version;
  const common: BuildOptions = {
    bundle: true,
    platform: 'node',
    sourcemap: 'linked',
    logLevel: 'warning',
    external: ['electron'],
    define: { __CCO_VERSION__: JSON.stringify(version) },
  };
  const schemaImage = makeSchemaImage(await loadSqlJs('file'));
  await Promise.all([
    // main (for `--daemon`) and the utility-process entry both host the daemon, so both carry the OTLP chunk.
    ...[['main', 'index.ts'], ['daemon', 'entry-utility.ts']].map(([dir, file]) =>
      build({
        ...common,
        entryPoints: [path.join(base, dir!, file!)],
        outdir: path.join(out, dir!),
        entryNames: '[name]',
        chunkNames: 'chunks/[name]-[hash]',
        splitting: true,
        format: 'esm',
        target: 'node22',
        plugins: [externalsExceptBundled],
      }),
    ),
    build({ ...common, entryPoints: [path.join(base, 'preload', 'index.ts')], outfile: path.join(out, 'preload', 'index.cjs'), format: 'cjs', target: 'chrome140' }),
    // The store's worker thread: `store-worker.js` beside each entry that hosts the daemon (the utility process,
    // and main for `--daemon`), which passes that location to the store (entry-utility.ts, storeWorkerBeside):
    // the store's code is in a chunk (host.ts is imported lazily), so its own default would look in chunks/. It
    // carries the schema's image for a new store's database (daemon/store/schema-image.ts).
    ...['daemon', 'main'].map((dir) =>
      build({
        ...common,
        define: { ...common.define, __CCO_SCHEMA_IMAGE__: JSON.stringify(schemaImage) },
        entryPoints: [path.join(base, 'daemon', 'store', 'store-worker.ts')],
        outfile: path.join(out, dir, 'store-worker.js'),
        format: 'esm',
        target: 'node22',
        packages: 'external',
      }),
    ),
  ]);
  const renderer = path.join(base, 'daemon', 'public');
  if (fs.existsSync(path.join(renderer, 'index.html'))) {
    fs.rmSync(path.join(out, 'renderer'), { recursive: true, force: true });
    fs.cpSync(renderer, path.join(out, 'renderer'), { recursive: true });
  } else {
    console.warn('build-app: daemon/public/index.html missing — run `npm run build:renderer` first');
  }
  return [path.join(out, 'main', 'index.js'), path.join(out, 'daemon', 'entry-utility.js'), path.join(out, 'preload', 'index.cjs')];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  buildApp().then(
    (files) => console.log(`built ${files.map((f) => path.relative(root, f)).join(', ')}`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
