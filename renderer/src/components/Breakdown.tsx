/** Spend groups (by model / project / session / user) with tokens per billing category. */
import { memo } from 'react';
import type { SpendGroup } from '../../../shared/contract.ts';
import { formatCount, formatTokens, formatUsdPrecise, shortProject } from '../format.ts';
import { groupCost, Money, UnpricedCount } from './Money.tsx';

export interface BreakdownProps {
  title: string;
  groups: SpendGroup[];
  /** `user`: the team store's byUser (the dashboard shows it only when the summary has it). */
  kind: 'model' | 'project' | 'session' | 'user';
  /** Clicking a row filters the requests table. */
  onSelect?: (key: string) => void;
  /** Row label for a key (projects: the shortest unique path suffix, see project-labels.ts). */
  label?: (key: string) => string;
}

/** A group's response-cache hits (counted in its requests at $0), shown apart; nothing when none. */
export function CacheHits({ hits, saved }: { hits: number; saved: number }) {
  if (hits === 0) return null;
  return (
    <span className="muted small" data-testid="group-cache-hits" title={`answered by CCO's response cache ($0); they would have cost ${formatUsdPrecise(saved)}`}>
      {' '}
      ({formatCount(hits)} cached)
    </span>
  );
}

/** Memoised (with stable onSelect) so the dashboard's other updates do not rebuild the tables. */
export const Breakdown = memo(function Breakdown({ title, groups, kind, onSelect, label: labelOf }: BreakdownProps) {
  const label = labelOf ?? ((k: string) => (kind === 'project' ? shortProject(k) : kind === 'session' ? k.slice(0, 8) : k));
  return (
    <section className="panel breakdown" aria-label={title}>
      <h3>{title}</h3>
      {groups.length === 0 ? (
        <p className="muted">Nothing in this range.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{kind}</th>
                <th scope="col" className="num">Cost</th>
                <th scope="col" className="num">Req.</th>
                <th scope="col" className="num">Input</th>
                <th scope="col" className="num" title="Cache write, 5 minutes">Write 5m</th>
                <th scope="col" className="num" title="Cache write, 1 hour">Write 1h</th>
                <th scope="col" className="num">Cache read</th>
                <th scope="col" className="num">Output</th>
                <th scope="col" className="num">Saved</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.key}>
                  <th scope="row" title={g.key}>
                    {onSelect ? (
                      <button type="button" className="link" onClick={() => onSelect(g.key)}>
                        {label(g.key)}
                      </button>
                    ) : (
                      label(g.key)
                    )}
                  </th>
                  <td className="num">
                    <Money nano={groupCost(g)} />{' '}
                    {groupCost(g) !== null && <UnpricedCount count={g.unpricedRequests} />}
                  </td>
                  <td className="num">
                    {formatCount(g.requests)}
                    <CacheHits hits={g.responseCacheHits} saved={g.responseCacheSavedNanoUsd} />
                  </td>
                  <td className="num">{formatTokens(g.tokens.input)}</td>
                  <td className="num">{formatTokens(g.tokens.cacheWrite5m)}</td>
                  <td className="num">{formatTokens(g.tokens.cacheWrite1h)}</td>
                  <td className="num">{formatTokens(g.tokens.cacheRead)}</td>
                  <td className="num">{formatTokens(g.tokens.output)}</td>
                  <td className="num">
                    <Money nano={g.cacheSavingsNanoUsd} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
});
