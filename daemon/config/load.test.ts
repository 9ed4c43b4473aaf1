import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, logFilePath } from './load.ts';
import { defaultConfig } from './schema.ts';

const dirs: string[] = [];
function home(): { env: NodeJS.ProcessEnv; file: string } {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-cfg-'));
  dirs.push(d);
  const env = { HOME: d, XDG_CONFIG_HOME: path.join(d, 'config'), XDG_DATA_HOME: path.join(d, 'data'), APPDATA: path.join(d, 'appdata') };
  return { env, file: path.join(d, 'config', 'cco', 'config.toml') };
}
function write(file: string, text: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('gives the defaults when there is no file', () => {
    const { env, file } = home();
    const loaded = loadConfig({ env });
    expect(loaded.file).toBe(file);
    expect(loaded.fileExists).toBe(false);
    expect(loaded.config).toEqual(defaultConfig());
    expect(loaded.config.server.port).toBe(3000);
    expect(loaded.config.telemetry.enabled).toBe(false);
    expect(loaded.config.rate_limit).toEqual({ enabled: true, requests_per_minute: 6000, max_connections: 64 });
    expect(logFilePath(loaded)).toBe(path.join(env.XDG_DATA_HOME!, 'cco', 'logs', 'cco.log'));
  });

  it('layers defaults < file < environment < flags', () => {
    const { env, file } = home();
    write(file, '[server]\nport = 4000\nhost = "127.0.0.2"\n[logging]\nlevel = "warn"\nfile = "~/x/cco.log"\n[cache]\nttl = 10\n');
    const fromFile = loadConfig({ env });
    expect(fromFile.config.server.port).toBe(4000);
    expect(fromFile.config.server.host).toBe('127.0.0.2');
    expect(fromFile.config.logging.file).toBe(path.join(env.HOME!, 'x', 'cco.log'));
    expect(fromFile.sources['server.port']).toBe('file');

    const withEnv = loadConfig({ env: { ...env, CCO_PORT: '5000', CCO_LOG_LEVEL: 'debug', CCO_CACHE_TTL: '20', NO_BROWSER: '1' } });
    expect(withEnv.config.server.port).toBe(5000);
    expect(withEnv.config.server.host).toBe('127.0.0.2');
    expect(withEnv.config.logging.level).toBe('debug');
    expect(withEnv.config.cache.ttl).toBe(20);
    expect(withEnv.config.server.auto_browser).toBe(false);
    expect(withEnv.sources['server.port']).toBe('env');

    const withFlag = loadConfig({ env: { ...env, CCO_PORT: '5000' }, flags: { 'server.port': { value: '6000', label: '--port' } } });
    expect(withFlag.config.server.port).toBe(6000);
    expect(withFlag.sources['server.port']).toBe('flag');
  });

  it('takes the PostgreSQL team store from [database] url or CCO_DATABASE_URL (the env wins)', () => {
    const { env, file } = home();
    expect(loadConfig({ env }).config.database.url).toBe('');
    write(file, '[database]\nurl = "postgres://cco@db:5432/team"\n');
    expect(loadConfig({ env }).config.database.url).toBe('postgres://cco@db:5432/team');
    const withEnv = loadConfig({ env: { ...env, CCO_DATABASE_URL: 'postgresql://x:pw@h/other' } });
    expect(withEnv.config.database.url).toBe('postgresql://x:pw@h/other');
    expect(withEnv.config.database.path).toBe('');
  });

  it.each([
    ['[server]\nport = "abc"\n', /config\.toml: \[server\] port = "abc" is not allowed; expected an integer from 0 to 65535/],
    ['[server]\nport = 70000\n', /\[server\] port = 70000 is not allowed/],
    ['[server]\nprot = 1\n', /\[server\] unknown key "prot"; allowed keys: host, port, auto_browser, upstream_url/],
    ['[bogus]\nx = 1\n', /unknown section \[bogus\]; allowed sections: server, cache/],
    ['[logging]\nlevel = "loud"\n', /\[logging\] level = "loud" is not allowed; expected one of "debug", "info", "warn", "error"/],
    ['[server]\nupstream_url = "ftp://x"\n', /upstream_url = "ftp:\/\/x" is not allowed; expected an http\(s\) URL/],
    ['[server\nport = 1\n', /config\.toml: invalid TOML at line 1/],
    ['server = 3\n', /"server" must be a \[server\] table/],
    ['[database]\nurl = "mysql://x/db"\n', /\[database\] url = "mysql:\/\/x\/db" is not allowed; expected a postgres:\/\/ or postgresql:\/\/ URL, or ""/],
  ])('rejects a bad file %j with one message naming file, key and rule', (text, message) => {
    const { env, file } = home();
    write(file, text);
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(message);
    expect(() => loadConfig({ env })).toThrow(file);
  });

  it.each([
    [{ CCO_PORT: 'x' }, 'CCO_PORT: "x" is not allowed for server.port; expected an integer from 0 to 65535'],
    [{ CCO_LOG_LEVEL: 'trace' }, 'CCO_LOG_LEVEL: "trace" is not allowed for logging.level'],
    [{ CCO_CACHE_SIZE: '-5' }, 'CCO_CACHE_SIZE: "-5" is not allowed for cache.size'],
    [{ CCO_UPSTREAM_URL: 'nope' }, 'CCO_UPSTREAM_URL: "nope" is not allowed for server.upstream_url'],
    [{ CCO_SERVER_NAMES: 'http://cco.internal' }, 'CCO_SERVER_NAMES: "http://cco.internal" is not allowed for server.names; expected comma-separated host names'],
  ])('rejects a bad environment value %j', (extra, message) => {
    const { env } = home();
    expect(() => loadConfig({ env: { ...env, ...extra } })).toThrow(message);
  });

  it('rejects a bad flag naming the flag', () => {
    const { env } = home();
    expect(() => loadConfig({ env, flags: { 'server.port': { value: '-1', label: '--port' } } })).toThrow('--port: "-1" is not allowed');
  });

  it('honours CCO_DATA_DIR and an explicit file that must exist', () => {
    const { env } = home();
    const data = path.join(env.HOME!, 'elsewhere');
    expect(loadConfig({ env: { ...env, CCO_DATA_DIR: data } }).dirs.dataDir).toBe(data);
    expect(() => loadConfig({ env, file: path.join(env.HOME!, 'missing.toml') })).toThrow(/missing\.toml: cannot read the config file \(ENOENT\)/);
  });
});

describe('README sample', () => {
  it('the config.toml shown in README.md is valid and equals the defaults', () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('```toml', readme.indexOf('## Command line'));
    const sample = readme.slice(start + 7, readme.indexOf('```', start + 7));
    const { file } = home();
    write(file, sample);
    expect(loadConfig({ env: { HOME: path.dirname(file) }, file }).config).toEqual(defaultConfig());
  });
});
