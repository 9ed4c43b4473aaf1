/**
 * A team's Claude Code traffic for bench:team: 50 developers in two time zones, weekdays 09:00–18:00 local
 * with a lunch dip, about one main-agent request a minute each, and subagent bursts (3–12 requests within
 * ~30 s, mostly the small model). Each developer works in a session of 1–3 hours on one of their projects.
 * Deterministic (seeded); records carry the developer as `user`, as the central gateway sets it.
 */
import type { RequestRecord } from '../shared/contract.ts';
import { makeRng, type Rng } from '../test/fake-upstream/rng.ts';

export const DEVELOPERS = 50;
export const userName = (i: number): string => `dev${String(i + 1).padStart(2, '0')}`;
export const PROJECTS = Array.from({ length: 12 }, (_, i) => `/home/dev/src/team-service-${String.fromCharCode(97 + i)}`);

const MINUTE = 60_000;
const DAY = 86_400_000;

/** [$/MTok input, output, cache write 5m, cache read] → nano-USD per token is the same number × 1000. */
const MODELS: Record<string, readonly [number, number, number, number]> = {
  'claude-opus-4-8': [5, 25, 6.25, 0.5],
  'claude-sonnet-4-6': [3, 15, 3.75, 0.3],
  'claude-haiku-4-5-20251001': [1, 5, 1.25, 0.1],
};
const MAIN_MODELS = ['claude-opus-4-8', 'claude-opus-4-8', 'claude-opus-4-8', 'claude-sonnet-4-6', 'claude-sonnet-4-6'];
const SUB_MODELS = ['claude-haiku-4-5-20251001', 'claude-haiku-4-5-20251001', 'claude-haiku-4-5-20251001', 'claude-sonnet-4-6'];

interface Dev {
  name: string;
  /** Offset of local time from UTC, ms (two offices: UTC+1 and UTC−5). */
  offset: number;
  projects: string[];
  credentialId: string;
}

export function team(): Dev[] {
  const rng = makeRng('bench-team', 'devs');
  return Array.from({ length: DEVELOPERS }, (_, i) => ({
    name: userName(i),
    offset: (i % 10 < 7 ? 1 : -5) * 3_600_000,
    projects: Array.from({ length: 2 + (i % 3) }, () => PROJECTS[Math.floor(rng() * PROJECTS.length)]!),
    credentialId: `k_${(0x100000 + i * 7919).toString(16)}`,
  }));
}

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function b32(n: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    s = B32[n % 32]! + s;
    n = Math.floor(n / 32);
  }
  return s;
}
/** A ULID-shaped id (time, then a unique counter): ulid() costs ~0.5 ms a call under load, too slow for 5 M. */
function idOf(t: number, seq: number, salt: number): string {
  return b32(t, 10) + b32(salt, 4) + b32(seq, 12);
}

function poisson(rng: Rng, mean: number): number {
  let n = 0;
  for (let p = Math.exp(-mean), s = rng(); s > p; s *= rng()) n++;
  return n;
}

interface Shape {
  model: string;
  agent: string | null;
  parent: string | null;
}

function record(rng: Rng, dev: Dev, t: number, seq: number, salt: number, session: string, project: string, shape: Shape): RequestRecord {
  const [pin, pout, pcw, pcr] = MODELS[shape.model]!;
  const sub = shape.agent !== null;
  const input = 3 + Math.floor(rng() * 400);
  const cacheRead = Math.floor((sub ? 8_000 : 30_000) + rng() * (sub ? 20_000 : 120_000));
  const cacheWrite = rng() < 0.3 ? Math.floor(rng() * 12_000) : Math.floor(rng() * 800);
  const output = Math.floor(20 + rng() * (sub ? 600 : 2_000));
  const r = rng();
  const failed = r < 0.004;
  const aborted = !failed && r < 0.014;
  const stream = rng() < 0.85;
  const duration = Math.floor(800 + output * (sub ? 8 : 20) * (0.5 + rng()));
  const cost = Math.round(1000 * (input * pin + output * pout + cacheWrite * pcw + cacheRead * pcr));
  return {
    id: idOf(t, seq, salt),
    startedAt: t,
    endedAt: t + duration,
    method: 'POST',
    path: '/v1/messages?beta=true',
    status: failed ? 529 : 200,
    state: failed ? 'upstream_error' : aborted ? 'client_aborted' : 'complete',
    upstreamRequestId: `req_011CVbench${salt.toString(36)}${seq.toString(36).padStart(8, '0')}`,
    messageId: failed ? null : `msg_01bench${salt.toString(36)}${seq.toString(36).padStart(10, '0')}`,
    modelRequested: shape.model,
    model: failed ? null : shape.model,
    stream,
    ttfbMs: failed ? null : Math.floor(400 + rng() * 1600),
    durationMs: duration,
    tokens: failed ? { input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 } : { input, cacheWrite5m: cacheWrite, cacheWrite1h: 0, cacheRead, output },
    thinkingTokens: failed || sub ? 0 : Math.floor(output * 0.3),
    webSearchRequests: 0,
    serviceTier: failed ? null : 'standard',
    speed: null,
    inferenceGeo: null,
    billable: true,
    costNanoUsd: failed ? 0 : cost,
    priceVersion: '2026-11-09',
    unpricedReason: null,
    cacheSavingsNanoUsd: failed ? 0 : Math.round(1000 * cacheRead * (pin - pcr)),
    sessionId: session,
    agentId: shape.agent,
    parentAgentId: shape.parent,
    project,
    client: 'claude-cli/2.1.197',
    credentialId: dev.credentialId,
    source: 'proxy',
    cacheHit: false, // CCO's response cache (not the prompt cache): off in this team's config
    errorType: failed ? 'overloaded_error' : null,
    gitBranch: null,
    isSidechain: sub,
    bytesIn: 40_000 + cacheRead * 3,
    bytesOut: stream ? 2_000 + output * 40 : 1_000 + output * 5,
    user: dev.name,
  };
}

/**
 * The records of one UTC day for the whole team, in time order, those before `until` only. `day` is the
 * UTC midnight; `salt` keeps ids unique across days.
 */
export function dayOfTraffic(devs: readonly Dev[], day: number, until: number, salt: number): RequestRecord[] {
  const out: RequestRecord[] = [];
  let seq = 0;
  for (const dev of devs) {
    const rng = makeRng('bench-team', dev.name, day);
    // Local working day: the local date whose 09:00 falls in this UTC day's neighbourhood.
    const localMidnight = day - dev.offset;
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    if (rng() < 0.08) continue; // leave, meetings all day
    const start = localMidnight + 9 * 3_600_000 + Math.floor(rng() * 45) * MINUTE;
    const end = localMidnight + 18 * 3_600_000 - Math.floor(rng() * 60) * MINUTE;
    let session = '';
    let project = '';
    let sessionEnd = 0;
    for (let m = start; m < end && m < until; m += MINUTE) {
      const local = (m - localMidnight) / 3_600_000;
      if (local >= 12.5 && local < 13.25) continue; // lunch
      if (m >= sessionEnd) {
        session = `${dev.name}-${day.toString(36)}-${(m / MINUTE).toString(36)}-4e5f-8a9b-0c1d2e3f4a5b`;
        project = dev.projects[Math.floor(rng() * dev.projects.length)]!;
        sessionEnd = m + (60 + Math.floor(rng() * 120)) * MINUTE;
      }
      for (let k = poisson(rng, 1); k > 0; k--) {
        const t = m + Math.floor(rng() * MINUTE);
        if (t >= until) continue;
        out.push(record(rng, dev, t, seq++, salt, session, project, { model: MAIN_MODELS[Math.floor(rng() * MAIN_MODELS.length)]!, agent: null, parent: null }));
      }
      if (rng() < 0.03) {
        // A subagent burst: a Task tool run fans out.
        const n = 3 + Math.floor(rng() * 10);
        const agent = `agent-${m.toString(36)}`;
        for (let k = 0; k < n; k++) {
          const t = m + Math.floor(rng() * 30_000);
          if (t >= until) continue;
          out.push(record(rng, dev, t, seq++, salt, session, project, { model: SUB_MODELS[Math.floor(rng() * SUB_MODELS.length)]!, agent: `${agent}-${k % 3}`, parent: 'main' }));
        }
      }
    }
  }
  return out.sort((a, b) => a.startedAt - b.startedAt);
}

/** UTC midnights from the one holding `now` backwards. */
export function* daysBack(now: number): Generator<number> {
  for (let d = Math.floor(now / DAY) * DAY; ; d -= DAY) yield d;
}
