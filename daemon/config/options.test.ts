import { describe, expect, it } from 'vitest';
import { ConfigError, parseDaemonArgs } from './options.ts';

describe('parseDaemonArgs', () => {
  it('has no opinions when nothing is given (startDaemon applies the defaults)', () => {
    expect(parseDaemonArgs([], {}).options).toEqual({});
  });
  it('reads the environment, and flags win over it', () => {
    const env = { CCO_PORT: '4000', CCO_HOST: '0.0.0.0', CCO_UPSTREAM_URL: 'http://127.0.0.1:9', CCO_DATA_DIR: '/tmp/d' };
    expect(parseDaemonArgs([], env).options).toEqual({ port: 4000, host: '0.0.0.0', upstreamUrl: 'http://127.0.0.1:9', dataDir: '/tmp/d' });
    expect(parseDaemonArgs(['--port', '5000', '--host', '127.0.0.1', '--upstream', 'https://x.test'], env).options).toMatchObject({
      port: 5000,
      host: '127.0.0.1',
      upstreamUrl: 'https://x.test',
    });
  });
  it.each([
    [['--port', 'abc'], {}, '--port: "abc" is not a port number'],
    [['--port', '70000'], {}, '--port: "70000" is not a port number'],
    [[], { CCO_PORT: '-1' }, 'CCO_PORT: "-1" is not a port number'],
    [['--upstream', 'ftp://x'], {}, '--upstream: "ftp://x" is not an http(s) URL'],
    [['--bogus'], {}, "Unknown option '--bogus'"],
  ])('rejects %j %j with a plain message', (argv, env, message) => {
    expect(() => parseDaemonArgs(argv, env)).toThrow(ConfigError);
    expect(() => parseDaemonArgs(argv, env)).toThrow(message);
  });
  it('honours NO_BROWSER', () => {
    expect(parseDaemonArgs([], { NO_BROWSER: '1' }).noBrowser).toBe(true);
  });
});
