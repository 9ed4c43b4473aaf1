import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../shared/contract.ts';
import { CSV_COLUMNS, csvField, csvHeader, csvLine, nanoToUsd, recordToCsv } from './csv.ts';
import { csvObjects, parseCsv } from './csv-testkit.ts';
import { makeRecord } from '../store/test-fixtures.ts';

describe('csvField / csvLine (RFC 4180)', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['"', '""""'],
    ['line1\nline2', '"line1\nline2"'],
    ['cr\rhere', '"cr\rhere"'],
    ['crlf\r\nx', '"crlf\r\nx"'],
    ['  spaced  ', '  spaced  '],
    ["it's", "it's"],
  ])('%j → %j', (input, out) => {
    expect(csvField(input)).toBe(out);
    expect(parseCsv(csvLine([input, 'next']))).toEqual([[input, 'next']]);
  });

  it('writes null as empty, booleans as words, numbers exactly; rejects non-finite numbers', () => {
    expect(csvLine([null, true, false, 0, -3, 9_007_199_254_740_991])).toBe(',true,false,0,-3,9007199254740991\r\n');
    expect(() => csvField(Number.NaN)).toThrow(RangeError);
    expect(() => csvField(Infinity)).toThrow(RangeError);
  });

  it('keeps unicode as is: accents, CJK, emoji (astral), RTL, combining marks', () => {
    const values = ['/home/zoë/项目', '🚀 rocket, launch', 'שלום', 'e\u0301', '\u00a0nbsp'];
    const line = csvLine(values);
    expect(parseCsv(line)).toEqual([values]);
    expect(Buffer.from(line, 'utf8').toString('utf8')).toBe(line);
    expect(line).toContain('"🚀 rocket, launch"');
  });
});

describe('nanoToUsd', () => {
  it.each([
    [0, '0.000000000'],
    [1, '0.000000001'],
    [999_999_999, '0.999999999'],
    [1_000_000_000, '1.000000000'],
    [1_234_567_891, '1.234567891'],
    [-1, '-0.000000001'],
    [-2_500_000_000, '-2.500000000'],
    [9_007_199_254_740_991, '9007199.254740991'],
    [4_200_000, '0.004200000'],
  ])('%d → %s', (nano, usd) => {
    expect(nanoToUsd(nano)).toBe(usd);
  });

  it('is exact where float arithmetic is not', () => {
    // 0.1 + 0.2 style: as float dollars this would print 0.30000000000000004.
    expect(nanoToUsd(100_000_000 + 200_000_000)).toBe('0.300000000');
    // Above 2^53 / 1e9 dollars a float division loses the last digits; bigint does not.
    expect(nanoToUsd(123_456_789_012_345_678n)).toBe('123456789.012345678');
    expect((8_999_999_999_999_999 / 1e9).toFixed(9)).toBe('8999999.999999998'); // float: off by one nano
    expect(nanoToUsd(8_999_999_999_999_999)).toBe('8999999.999999999');
  });

  it('rejects non-integer and unsafe amounts instead of rounding them', () => {
    expect(() => nanoToUsd(1.5)).toThrow(RangeError);
    expect(() => nanoToUsd(2 ** 60)).toThrow(RangeError);
  });
});

describe('recordToCsv', () => {
  const parse = (r: RequestRecord): Record<string, string> => csvObjects(csvHeader() + recordToCsv(r))[0]!;

  it('has one field per column and round-trips a record', () => {
    const r = makeRecord({ costNanoUsd: 1_234_567_891, cacheSavingsNanoUsd: 42, project: '/p, "quoted"\nnext', status: null });
    expect(CSV_COLUMNS).toContain('priced');
    expect(new Set(CSV_COLUMNS).size).toBe(CSV_COLUMNS.length);
    const o = parse(r);
    expect(Object.keys(o)).toEqual([...CSV_COLUMNS]);
    expect(o).toMatchObject({
      id: r.id,
      started_at: new Date(r.startedAt).toISOString(),
      priced: 'true',
      cost_usd: '1.234567891',
      cache_savings_usd: '0.000000042',
      project: '/p, "quoted"\nnext',
      status: '',
      input_tokens: '10',
      cache_write_1h_tokens: '30',
      stream: 'true',
      session_id: 'sess-1',
    });
  });

  it('unpriced: priced=false and an EMPTY cost, never 0', () => {
    const o = parse(makeRecord({ costNanoUsd: null, unpricedReason: 'unknown model: claude-x', model: 'claude-x' }));
    expect(o.priced).toBe('false');
    expect(o.cost_usd).toBe('');
    expect(o.unpriced_reason).toBe('unknown model: claude-x');
    const free = parse(makeRecord({ costNanoUsd: 0, billable: false }));
    expect(free).toMatchObject({ priced: 'true', cost_usd: '0.000000000', billable: 'false' });
  });

  it('never writes a credential: only the short credential id column exists', () => {
    expect(CSV_COLUMNS.filter((c) => /key|token|auth/i.test(c) && !c.endsWith('_tokens'))).toEqual([]);
  });
});
