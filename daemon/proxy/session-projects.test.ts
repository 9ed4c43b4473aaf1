import { describe, expect, it } from 'vitest';
import type { Attribution } from './attribution.ts';
import { createSessionProjects } from './session-projects.ts';

const base: Attribution = {
  sessionId: null,
  agentId: null,
  parentAgentId: null,
  project: null,
  client: 'claude-cli/2.1.0',
  credentialId: 'abc',
  modelRequested: 'claude-haiku-4-5',
  stream: false,
  context1m: false,
  billable: true,
};

describe('session projects', () => {
  it('gives a side call (session, no project) the project its session named', () => {
    const sp = createSessionProjects();
    const main = { ...base, sessionId: 's1', project: '/home/u/a/my-app' };
    expect(sp.complete(main)).toBe(main);
    const side = sp.complete({ ...base, sessionId: 's1' });
    expect(side.project).toBe('/home/u/a/my-app');
    expect(sp.complete({ ...base, sessionId: 's2' }).project).toBeNull();
  });

  it('never overrides a project the request names, and follows a session that moves', () => {
    const sp = createSessionProjects();
    sp.complete({ ...base, sessionId: 's1', project: '/a' });
    expect(sp.complete({ ...base, sessionId: 's1', project: '/b' }).project).toBe('/b');
    expect(sp.complete({ ...base, sessionId: 's1' }).project).toBe('/b');
  });

  it('leaves requests without a session alone', () => {
    const sp = createSessionProjects();
    sp.complete({ ...base, sessionId: 's1', project: '/a' });
    const none = { ...base };
    expect(sp.complete(none)).toBe(none);
  });

  it('keeps at most `max` sessions, dropping the least recently used', () => {
    const sp = createSessionProjects(2);
    sp.complete({ ...base, sessionId: 's1', project: '/1' });
    sp.complete({ ...base, sessionId: 's2', project: '/2' });
    sp.complete({ ...base, sessionId: 's1' }); // s1 used: s2 is now the oldest
    sp.complete({ ...base, sessionId: 's3', project: '/3' });
    expect(sp.size).toBe(2);
    expect(sp.projectOf('s2')).toBeNull();
    expect(sp.projectOf('s1')).toBe('/1');
    expect(sp.projectOf('s3')).toBe('/3');
  });
});
