import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { editConfigText, setConfigValue } from './edit.ts';
import { loadConfig } from './load.ts';
import { fieldFor } from './schema.ts';

const dirs: string[] = [];
function tmpFile(text?: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-edit-'));
  dirs.push(d);
  const f = path.join(d, 'config.toml');
  if (text !== undefined) fs.writeFileSync(f, text);
  return f;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const SAMPLE = `# CCO configuration
# (top comment)

[server]
host = "127.0.0.1"   # loopback only
port = 3000 # the port
# auto_browser = false

[cache]
size = 1073741824  # 1 GB
ttl = 3600         # 1 hour
`;

describe('editConfigText', () => {
  it('changes only the value token and keeps comments and layout', () => {
    const out = editConfigText(SAMPLE, fieldFor('server.port')!, 4001);
    expect(out).toBe(SAMPLE.replace('port = 3000 # the port', 'port = 4001 # the port'));
    const out2 = editConfigText(SAMPLE, fieldFor('server.host')!, 'a "quoted" #host');
    expect(out2).toContain('host = "a \\"quoted\\" #host"   # loopback only');
    // Editing the edited line again finds the end of an escaped string correctly.
    const out3 = editConfigText(out2, fieldFor('server.host')!, '0.0.0.0');
    expect(out3).toBe(SAMPLE.replace('"127.0.0.1"', '"0.0.0.0"'));
  });
  it('adds a missing key at the end of its section, not in a commented line', () => {
    const out = editConfigText(SAMPLE, fieldFor('server.auto_browser')!, false);
    expect(out).toContain('port = 3000 # the port\nauto_browser = false\n# auto_browser = false');
  });
  it('adds a missing section at the end', () => {
    const out = editConfigText(SAMPLE, fieldFor('telemetry.enabled')!, true);
    expect(out).toBe(SAMPLE + '\n[telemetry]\nenabled = true\n');
    expect(editConfigText('', fieldFor('server.port')!, 1)).toBe('[server]\nport = 1\n');
  });
  it('keeps CRLF line ends', () => {
    const crlf = SAMPLE.replace(/\n/g, '\r\n');
    expect(editConfigText(crlf, fieldFor('cache.ttl')!, 60)).toBe(crlf.replace('ttl = 3600 ', 'ttl = 60 '));
  });
});

describe('setConfigValue', () => {
  it('writes a validated value that loadConfig then reads, comments kept', () => {
    const file = tmpFile(SAMPLE);
    expect(setConfigValue(file, 'server.port', '4100')).toBe(4100);
    expect(setConfigValue(file, 'logging.level', 'debug')).toBe('debug');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('# CCO configuration');
    expect(text).toContain('port = 4100 # the port');
    expect(text).toContain('ttl = 3600         # 1 hour');
    const loaded = loadConfig({ env: { HOME: path.dirname(file) }, file });
    expect(loaded.config.server.port).toBe(4100);
    expect(loaded.config.logging.level).toBe('debug');
  });
  it('creates the file when missing', () => {
    const file = tmpFile();
    setConfigValue(file, 'telemetry.enabled', 'true');
    expect(fs.readFileSync(file, 'utf8')).toBe('[telemetry]\nenabled = true\n');
  });
  it('refuses bad keys and values without touching the file', () => {
    const file = tmpFile(SAMPLE);
    expect(() => setConfigValue(file, 'server.prot', '1')).toThrow(/unknown key "server.prot"; known keys: server.host/);
    expect(() => setConfigValue(file, 'server.port', 'abc')).toThrow('server.port: "abc" is not allowed; expected an integer from 0 to 65535');
    expect(() => setConfigValue(file, 'updates.channel', 'nightly')).toThrow('expected one of "stable", "beta"');
    expect(fs.readFileSync(file, 'utf8')).toBe(SAMPLE);
  });
  it('refuses to edit a file that is already invalid', () => {
    const file = tmpFile('[server]\nport = "x"\n');
    expect(() => setConfigValue(file, 'server.host', 'h')).toThrow(/\[server\] port = "x" is not allowed/);
  });
});
