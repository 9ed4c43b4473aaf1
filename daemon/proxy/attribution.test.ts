import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { attributeRequest, clientFamily, credentialId, isBillable, projectInRawBody, sessionFromUserId } from './attribution.ts';

const SESSION = '8f0c1f7e-2b0a-4c1e-9d55-0d5b9a7b1c3e';
const KEY = 'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefghijklmnop-XYZAA';
const OAUTH = 'sk-ant-oat01-ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210';

/** A body shaped like Claude Code 2.1.197's (billing block, env section in a system block). */
function claudeCodeBody(cwd: string, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      model: 'claude-opus-4-8',
      max_tokens: 32000,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      system: [
        { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.197.a1b; cc_entrypoint=cli; cch=00000;' },
        { type: 'text', text: `You are Claude Code.\n\n<env>\nPrimary working directory: ${cwd}\nIs a git repository: true\n</env>`, cache_control: { type: 'ephemeral' } },
      ],
      metadata: { user_id: JSON.stringify({ device_id: 'd'.repeat(64), account_uuid: 'acc-1', session_id: SESSION }) },
      stream: true,
      ...extra,
    }),
  );
}

const json: IncomingHttpHeaders = { 'content-type': 'application/json' };

describe('attributeRequest', () => {
  it('reads a Claude Code request: session header, agents, project, client, model, stream', () => {
    const a = attributeRequest(
      'POST',
      '/v1/messages?beta=true',
      {
        ...json,
        'x-claude-code-session-id': 'header-session',
        'x-claude-code-agent-id': 'agent-2',
        'x-claude-code-parent-agent-id': 'agent-1',
        'user-agent': 'claude-cli/2.1.197 (external, cli)',
        'anthropic-beta': 'claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14',
        authorization: `Bearer ${OAUTH}`,
      },
      claudeCodeBody('/home/dev/work/my-repo'),
    );
    expect(a).toEqual({
      sessionId: 'header-session',
      agentId: 'agent-2',
      parentAgentId: 'agent-1',
      project: '/home/dev/work/my-repo',
      client: 'claude-cli/2.1.197',
      credentialId: credentialId(OAUTH),
      modelRequested: 'claude-opus-4-8',
      stream: true,
      context1m: false,
      billable: true,
    });
  });

  it('falls back to metadata.user_id: JSON string form, then the legacy form', () => {
    expect(attributeRequest('POST', '/v1/messages', json, claudeCodeBody('/p')).sessionId).toBe(SESSION);
    const legacy = Buffer.from(
      JSON.stringify({ model: 'm', metadata: { user_id: `user_${'ab'.repeat(32)}_account_4c5d1c1e-0000-4000-8000-000000000001_session_${SESSION}` } }),
    );
    expect(attributeRequest('POST', '/v1/messages', json, legacy).sessionId).toBe(SESSION);
    expect(sessionFromUserId('{"device_id":"x"}')).toBeNull();
    expect(sessionFromUserId('{broken')).toBeNull();
    expect(sessionFromUserId('plain-user')).toBeNull();
    expect(sessionFromUserId(42)).toBeNull();
  });

  it('unescapes a project path with JSON escapes (quotes, backslashes, unicode)', () => {
    const cwd = 'C:\\Users\\Zoë\\"quoted" dir\\项目';
    expect(attributeRequest('POST', '/v1/messages', json, claudeCodeBody(cwd)).project).toBe(cwd);
    // Raw search on its own (no parse): escaped in the bytes, \u escapes too.
    const raw = Buffer.from('{"system":"env\\nPrimary working directory: C:\\\\Users\\\\Zo\\u00eb\\\\app\\nIs a git repo"}');
    expect(projectInRawBody(raw)).toBe('C:\\Users\\Zoë\\app');
  });

  it('prefers the system prompt over a marker quoted earlier in messages, and searches raw bytes when unparsed', () => {
    const body = Buffer.from(
      JSON.stringify({
        messages: [{ role: 'user', content: 'the code says:\nPrimary working directory: /not/this\nok' }],
        system: 'Primary working directory: /the/real/one\nmore',
      }),
    );
    expect(attributeRequest('POST', '/v1/messages', json, body).project).toBe('/the/real/one');
    // No JSON content type: not parsed, the raw search finds the first marker.
    expect(attributeRequest('POST', '/v1/messages', {}, body).project).toBe('/not/this');
    // Raw search stops at the closing quote when the marker is at the end of a string.
    expect(projectInRawBody(Buffer.from('{"a":"Primary working directory: /x/y"}'))).toBe('/x/y');
    expect(projectInRawBody(Buffer.from('no marker'))).toBeNull();
  });

  it('reads a long conversation (read without building it) the same as a short one', () => {
    const turn = { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'const s = "quoted";\n// Primary working directory: /not/this\n'.repeat(50) }] };
    const long = claudeCodeBody('/home/dev/work/my-repo', { messages: Array.from({ length: 40 }, () => turn) });
    expect(long.length).toBeGreaterThan(64 * 1024);
    const short = claudeCodeBody('/home/dev/work/my-repo');
    const headers = { ...json, 'user-agent': 'claude-cli/2.1.197 (external, cli)' };
    expect(attributeRequest('POST', '/v1/messages', headers, long)).toEqual(attributeRequest('POST', '/v1/messages', headers, short));
    expect(attributeRequest('POST', '/v1/messages', headers, long)).toMatchObject({ project: '/home/dev/work/my-repo', sessionId: SESSION, modelRequested: 'claude-opus-4-8', stream: true });
    // A long body that is not a JSON object: nothing parsed; the raw search still finds the first marker.
    const broken = Buffer.concat([long.subarray(0, long.length - 1), Buffer.from(',')]);
    expect(attributeRequest('POST', '/v1/messages', headers, broken)).toMatchObject({ modelRequested: null, sessionId: null, stream: false, project: '/not/this' });
  });

  it('uses x-cco-project when the body has no marker', () => {
    const body = Buffer.from(JSON.stringify({ model: 'claude-haiku-4-5', messages: [] }));
    expect(attributeRequest('POST', '/v1/messages', { ...json, 'x-cco-project': '/srv/app' }, body).project).toBe('/srv/app');
    expect(attributeRequest('POST', '/v1/messages', json, body).project).toBeNull();
  });

  it('hashes the credential stably, never exposing it; x-api-key before bearer', () => {
    const a = attributeRequest('POST', '/v1/messages', { ...json, 'x-api-key': KEY }, Buffer.alloc(0));
    const b = attributeRequest('POST', '/v1/messages', { ...json, 'x-api-key': KEY, authorization: `Bearer ${OAUTH}` }, Buffer.alloc(0));
    expect(a.credentialId).toMatch(/^[0-9a-f]{12}$/);
    expect(b.credentialId).toBe(a.credentialId);
    expect(credentialId(KEY)).toBe(a.credentialId);
    expect(credentialId(OAUTH)).not.toBe(a.credentialId);
    const serialised = JSON.stringify(a);
    for (let i = 0; i + 8 <= KEY.length; i += 4) expect(serialised).not.toContain(KEY.slice(i, i + 8));
    expect(attributeRequest('GET', '/v1/models', {}, Buffer.alloc(0)).credentialId).toBeNull();
  });

  it('detects the 1M context beta or a [1m] model id', () => {
    const body = (model: string) => Buffer.from(JSON.stringify({ model }));
    expect(attributeRequest('POST', '/v1/messages', { ...json, 'anthropic-beta': 'a-1, context-1m-2025-08-07' }, body('claude-sonnet-4-5')).context1m).toBe(true);
    expect(attributeRequest('POST', '/v1/messages', json, body('claude-sonnet-4-5[1m]')).context1m).toBe(true);
    expect(attributeRequest('POST', '/v1/messages', { ...json, 'anthropic-beta': 'fast-mode-2026-02-01' }, body('claude-sonnet-4-5')).context1m).toBe(false);
  });

  it('survives bodies that are not JSON or not objects', () => {
    for (const body of ['not json', '[1,2]', '"str"', '']) {
      const a = attributeRequest('POST', '/v1/messages', json, Buffer.from(body));
      expect(a).toMatchObject({ modelRequested: null, stream: false, sessionId: null, project: null, billable: true });
    }
  });
});

describe('isBillable', () => {
  it.each([
    ['POST', '/v1/messages', true],
    ['POST', '/v1/messages?beta=true', true],
    ['post', '/v1/messages/', true],
    ['POST', '/v1/complete', true],
    ['POST', '/v1/messages/batches', true],
    ['POST', '/v1/messages/batches/msgbatch_1/cancel', true],
    ['POST', '/v1/messages/count_tokens', false],
    ['POST', '/v1/messages/count_tokens?beta=true', false],
    ['GET', '/v1/messages/batches/msgbatch_1/results', false],
    ['GET', '/v1/models', false],
    ['HEAD', '/', false],
    ['POST', '/v1/files', false],
    ['POST', '/v1/messagesX', false],
  ])('%s %s → %s', (method, path, want) => {
    expect(isBillable(method, path)).toBe(want);
  });
});

describe('clientFamily', () => {
  it.each([
    ['claude-cli/2.1.197 (external, cli)', 'claude-cli/2.1.197'],
    ['Anthropic/JS 1.12.0', 'Anthropic/JS 1.12.0'],
    ['Anthropic/Python 0.40.0', 'Anthropic/Python 0.40.0'],
    ['curl/8.5.0', 'curl/8.5.0'],
    ['Mozilla/5.0 (X11; Linux x86_64)', 'Mozilla/5.0'],
    [null, null],
  ])('%s → %s', (ua, want) => {
    expect(clientFamily(ua)).toBe(want);
  });
});
