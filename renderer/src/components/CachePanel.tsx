/**
 * Caching on the dashboard: the prompt-cache coach of the selected range (GET /api/cache-coach: hit ratio,
 * $ saved by reads, $ wasted on writes never read, cache busters, TTL advice, each with the requests behind
 * it) and the response cache's hit rate and $ saved (GET /api/cache).
 */
import { useEffect, useState } from 'react';
import type { CacheCoachReport, CoachGroup, ResponseCacheStatus } from '../../../shared/contract.ts';
import type { RangeQuery } from '../api/client.ts';
import { formatCount } from '../format.ts';
import { useDaemon } from '../hooks/daemon.tsx';
import { Money } from './Money.tsx';

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

function RequestLinks({ ids }: { ids: readonly string[] }) {
  if (ids.length === 0) return null;
  return (
    <span className="small muted">
      {' '}
      requests:{' '}
      {ids.slice(0, 5).map((id, i) => (
        <span key={id}>
          {i > 0 && ', '}
          <a href={`#/requests/${encodeURIComponent(id)}`}>{id.slice(-6)}</a>
        </span>
      ))}
      {ids.length > 5 && ` +${ids.length - 5}`}
    </span>
  );
}

function GroupRows({ title, groups, href }: { title: string; groups: readonly CoachGroup[]; href?: (key: string) => string }) {
  if (groups.length === 0) return null;
  return (
    <details>
      <summary>{title}</summary>
      <table className="table small">
        <thead>
          <tr>
            <th>{title.replace(/^By /, '')}</th>
            <th>Requests</th>
            <th>Hit ratio</th>
            <th>Saved by reads</th>
            <th>Wasted on unread writes</th>
            <th>Cost</th>
          </tr>
        </thead>
        <tbody>
          {groups.slice(0, 20).map((g) => (
            <tr key={g.key}>
              <td title={g.key}>{href && g.key !== '(none)' ? <a href={href(g.key)}>{g.key}</a> : g.key}</td>
              <td>{formatCount(g.requests)}</td>
              <td>{pct(g.hitRatio)}</td>
              <td><Money nano={g.savedNanoUsd} /></td>
              <td><Money nano={g.wastedNanoUsd} /></td>
              <td><Money nano={g.costNanoUsd} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

export function ResponseCacheLine({ status }: { status: ResponseCacheStatus }) {
  if (!status.enabled && status.lookups === 0) return null;
  return (
    <p className="small" data-testid="response-cache">
      Response cache{status.enabled ? '' : ' (per request)'}: hit rate {pct(status.hitRate)} ({formatCount(status.hits)} of {formatCount(status.lookups)}),{' '}
      <Money nano={status.savedNanoUsd} /> saved, {formatCount(status.entries)} entries ({(status.bytes / 1024 / 1024).toFixed(1)} MiB)
    </p>
  );
}

export function CoachView({ report }: { report: CacheCoachReport }) {
  const t = report.totals;
  if (t.requests === 0) return <p className="muted">No priced requests in this range.</p>;
  return (
    <>
      <div className="cards">
        <div className="card" data-testid="coach-hit-ratio">
          <div className="label">Prompt-cache hit ratio</div>
          <div className="mid">{pct(t.hitRatio)}</div>
          <div className="small muted">reads ÷ (reads + uncached input + writes)</div>
        </div>
        <div className="card" data-testid="coach-saved">
          <div className="label">Saved by cache reads</div>
          <div className="mid"><Money nano={t.savedNanoUsd} /></div>
          <div className="small muted">of <Money nano={t.costNanoUsd} /> spent; writes cost <Money nano={t.writeNanoUsd} /></div>
        </div>
        <div className="card" data-testid="coach-wasted">
          <div className="label">Wasted on writes never read</div>
          <div className="mid"><Money nano={t.wastedNanoUsd} /></div>
          <div className="small muted">
            5m <Money nano={t.wasted5mNanoUsd} /> · 1h <Money nano={t.wasted1hNanoUsd} />
            <RequestLinks ids={t.wastedRequestIds} />
          </div>
        </div>
      </div>
      {report.advice.length > 0 && (
        <ul className="advice" data-testid="coach-advice">
          {report.advice.map((a, i) => (
            <li key={i}>
              {a.text}
              <RequestLinks ids={a.requestIds} />
            </li>
          ))}
        </ul>
      )}
      <GroupRows title="By model" groups={report.byModel} />
      <GroupRows title="By project" groups={report.byProject} />
      <GroupRows title="By session" groups={report.bySession} href={(id) => `#/sessions/${encodeURIComponent(id)}`} />
    </>
  );
}

/**
 * The dashboard panel for `range` (refetched when the range changes or the live feed reconnects).
 * `responseCache: false`: leave out the shared response cache's line (admin only on a team gateway).
 */
export function CachePanel({ range, responseCache = true }: { range: RangeQuery; responseCache?: boolean }) {
  const { client, epoch } = useDaemon();
  const [report, setReport] = useState<CacheCoachReport | null>(null);
  const [cache, setCache] = useState<ResponseCacheStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(range);
  useEffect(() => {
    if (!client) return;
    const ac = new AbortController();
    client.cacheCoach(JSON.parse(key) as RangeQuery, ac.signal).then(
      (r) => {
        setReport(r);
        setError(null);
      },
      (e: unknown) => {
        if (!ac.signal.aborted) setError(e instanceof Error ? e.message : String(e));
      },
    );
    if (responseCache) client.responseCache(ac.signal).then(setCache, () => undefined); // an older daemon has none
    else setCache(null);
    return () => ac.abort();
  }, [client, key, epoch, responseCache]);
  return (
    <section className="panel cache" aria-labelledby="cache-title">
      <div className="panel-head">
        <h3 id="cache-title">Caching</h3>
      </div>
      {cache && <ResponseCacheLine status={cache} />}
      {error && <p className="error" role="alert">Could not load the cache coach: {error}</p>}
      {report && <CoachView report={report} />}
    </section>
  );
}
