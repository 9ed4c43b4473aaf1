import { describe, expect, it } from 'vitest';
import { REDACTED, redactFields, redactText } from './redact.ts';

describe('redactText', () => {
  it.each([
    ['key sk-ant-api03-abcDEF123_-xyz in text', `key ${REDACTED} in text`],
    ['oauth sk-ant-oat01-AbCdEfGhIjKl', `oauth ${REDACTED}`],
    ['Authorization: Bearer abc.def-ghi_jkl', `Authorization: Bearer ${REDACTED}`],
    ['GET /?token=secretsecret&x=1', `GET /?token=${REDACTED}&x=1`],
    ['ws /api/live?token=abcdefgh12345', `ws /api/live?token=${REDACTED}`],
    ['nothing secret: sk-ant (short), Bearer x', 'nothing secret: sk-ant (short), Bearer x'],
  ])('%s', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });
  it.each([
    ['/v1/models?key=sk-ant-api03-abcdefgh12345', `/v1/models?key=${REDACTED}`],
    ['/v1/messages?beta=true&api_key=plainsecret123', `/v1/messages?beta=true&api_key=${REDACTED}`],
    ['/v1/x?access_token=abc&limit=5', `/v1/x?access_token=${REDACTED}&limit=5`],
    ['/v1/x?Refresh-Token=r1&client_secret=s2&password=p3', `/v1/x?Refresh-Token=${REDACTED}&client_secret=${REDACTED}&password=${REDACTED}`],
    ['/v1/x?x-api-key=k&apikey=k2&auth=a&sig=s', `/v1/x?x-api-key=${REDACTED}&apikey=${REDACTED}&auth=${REDACTED}&sig=${REDACTED}`],
    ['/v1/x?api%5Fkey=percent-encoded-name', `/v1/x?api%5Fkey=${REDACTED}`],
    ['/v1/x?anything=sk%2Dant%2Dapi03%2Dencodedvalue', `/v1/x?anything=${REDACTED}`],
    ['/v1/x?jwt=eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.sig', `/v1/x?jwt=${REDACTED}`],
    ['/v1/models?limit=20&after_id=claude-x&beta=true', '/v1/models?limit=20&after_id=claude-x&beta=true'],
    ['/v1/x?key=', '/v1/x?key='],
    ['/v1/x?monkey=banana&keys=1', '/v1/x?monkey=banana&keys=1'],
  ])('query credentials: %s', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });
  it('removes registered secrets of any shape', () => {
    expect(redactText('the token is Zx9Q-opaque_value here', ['Zx9Q-opaque_value'])).toBe(`the token is ${REDACTED} here`);
    expect(redactText('short abc stays', ['abc'])).toBe('short abc stays');
  });
});

describe('redactFields', () => {
  it('redacts credential field names at any depth and keeps the rest', () => {
    const input = {
      path: '/v1/messages',
      headers: { 'x-api-key': 'anything', Authorization: 'whatever', accept: 'text/event-stream' },
      nested: [{ apiKey: 'k', token: 'mytoken', n: 3 }],
      err: new Error('failed with sk-ant-api03-zzzzzzzzzzzz'),
      empty: { token: '' },
    };
    expect(redactFields(input)).toEqual({
      path: '/v1/messages',
      headers: { 'x-api-key': REDACTED, Authorization: REDACTED, accept: 'text/event-stream' },
      nested: [{ apiKey: REDACTED, token: REDACTED, n: 3 }],
      err: { name: 'Error', message: `failed with ${REDACTED}` },
      empty: { token: '' },
    });
  });
  it('survives cycles', () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = a;
    expect(redactFields(a)).toEqual({ x: 1, self: '[cycle]' });
  });
});

describe('redactText fast paths', () => {
  // The function before its substring pre-checks and its memo of query rewrites: the reference.
  const PATTERNS: [RegExp, string][] = [
    [/sk-ant-[A-Za-z0-9_-]{8,}/g, REDACTED],
    [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  ];
  const reference = (text: string, secrets: readonly string[] = []) => {
    let out = text;
    for (const s of secrets) if (s && s.length >= 8) out = out.split(s).join(REDACTED);
    for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
    // the query step is checked through redactText itself on texts without the other patterns
    return out;
  };
  it('gives what the unconditional regexes give, for texts built from the pieces that matter (twice: memo hit too)', () => {
    const pieces = ['sk-ant-', 'sk-ant-api03-abcdefgh12', 'Bearer ', 'BASIC ', 'bearer abcdefghij', 'basicx', '=', '?', '&', 'token', 'key', 'abc', ' ', 'a=b', 'TOKENSECRET1', 'é'];
    let seed = 3;
    const r = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 3000; i++) {
      let text = '';
      const n = Math.floor(r() * 8);
      for (let k = 0; k < n; k++) text += pieces[Math.floor(r() * pieces.length)];
      const secrets = r() < 0.5 ? ['TOKENSECRET1'] : [];
      const once = redactText(text, secrets);
      expect(redactText(text, secrets)).toBe(once);
      if (!text.includes('=')) expect(once).toBe(reference(text, secrets));
      else expect(redactText(reference(text, secrets))).toBe(once);
    }
  });
});
