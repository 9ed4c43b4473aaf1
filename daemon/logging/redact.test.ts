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
