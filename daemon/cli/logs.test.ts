import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLine, tailLines } from './logs.ts';

describe('logs helpers', () => {
  it('tailLines reads the last lines of a large file', () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-logs-'));
    const f = path.join(d, 'cco.log');
    fs.writeFileSync(f, Array.from({ length: 20000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join('\n') + '\n');
    expect(tailLines(f, 3).map((l) => l.split(' ')[1])).toEqual(['19997', '19998', '19999']);
    expect(tailLines(f, 0)).toEqual([]);
    fs.writeFileSync(f, 'a\nb\n');
    expect(tailLines(f, 10)).toEqual(['a', 'b']);
    fs.rmSync(d, { recursive: true });
  });
  it('formatLine shows time LEVEL msg and fields; other lines pass through', () => {
    expect(formatLine('{"time":"T","level":"warn","pid":5,"msg":"slow","ms":12,"path":"/v1 x"}')).toBe('T WARN  slow ms=12 path="/v1 x"');
    expect(formatLine('not json')).toBe('not json');
  });
});
