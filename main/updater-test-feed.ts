/**
 * Test support for the updater contract tests: a real electron-updater `NsisUpdater` that runs in plain Node
 * (no Electron), pointed at a local HTTP feed. Mirrors electron-builder's own updater test helpers
 * (TestAppAdapter + a Node HttpExecutor) in electron-builder's repository (test/src/helpers). Not used by the app.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { HttpExecutor, configureRequestOptions, configureRequestUrl, type DownloadOptions } from 'builder-util-runtime';
import electronUpdater from 'electron-updater';
import type { AppAdapter } from 'electron-updater/out/AppAdapter.js';

const { NsisUpdater } = electronUpdater;

/** Node's http client behind electron-updater's executor, downloading like ElectronHttpExecutor (sha512 checked). */
class NodeTestHttpExecutor extends HttpExecutor<ClientRequest> {
  createRequest(options: RequestOptions, callback: (response: IncomingMessage) => void): ClientRequest {
    return http.request(options, callback);
  }

  download(url: URL, destination: string, options: DownloadOptions): Promise<string> {
    return options.cancellationToken.createPromise<string>((resolve, reject, onCancel) => {
      const requestOptions: RequestOptions & { redirect: string } = { headers: options.headers ?? undefined, redirect: 'manual' };
      configureRequestUrl(url, requestOptions);
      configureRequestOptions(requestOptions);
      this.doDownload(requestOptions, {
        destination,
        options,
        onCancel,
        callback: (error) => (error == null ? resolve(destination) : reject(error)),
        responseHandler: null,
      }, 0);
    });
  }
}

export function sha512Base64(data: Buffer): string {
  return createHash('sha512').update(data).digest('base64');
}

/** A static file server: `files` maps URL paths to bodies; it records every path requested. */
export async function startFeedServer(files: Map<string, string | Buffer>): Promise<{ url: string; requested: string[]; close(): Promise<void> }> {
  const requested: string[] = [];
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requested.push(path);
    const body = files.get(path);
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': Buffer.byteLength(body), 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requested,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** `latest.yml` as electron-builder writes it for an NSIS installer. */
export function latestYml(version: string, file: string, data: Buffer, sha512 = sha512Base64(data)): string {
  return [
    `version: ${version}`,
    'files:',
    `  - url: ${file}`,
    `    sha512: ${sha512}`,
    `    size: ${data.length}`,
    `path: ${file}`,
    `sha512: ${sha512}`,
    `releaseDate: '2026-11-22T12:00:00.000Z'`,
    '',
  ].join('\n');
}

/**
 * A real NsisUpdater for `version`, reading `appUpdateYml` (provider config) from a temp dir.
 * Everything it writes stays under `dir`.
 */
export function createTestUpdater(opts: { dir: string; version: string; appUpdateYml: string }): InstanceType<typeof NsisUpdater> {
  mkdirSync(join(opts.dir, 'cache'), { recursive: true });
  mkdirSync(join(opts.dir, 'userData'), { recursive: true });
  const configPath = join(opts.dir, 'app-update.yml');
  writeFileSync(configPath, opts.appUpdateYml);
  const app: AppAdapter = {
    version: opts.version,
    name: 'CCO',
    isPackaged: true,
    appUpdateConfigPath: configPath,
    userDataPath: join(opts.dir, 'userData'),
    baseCachePath: join(opts.dir, 'cache'),
    whenReady: () => Promise.resolve(),
    relaunch: () => {},
    quit: () => {},
    onQuit: () => {},
  };
  const updater = new NsisUpdater(null, app);
  updater.logger = null;
  const internals = updater as unknown as { httpExecutor: HttpExecutor<ClientRequest>; _testOnlyOptions: unknown };
  internals.httpExecutor = new NodeTestHttpExecutor();
  internals._testOnlyOptions = { platform: 'win32', isUseDifferentialDownload: false };
  return updater;
}
