/**
 * Claude Code sessions people can recognise: project, start, duration, requests and cost, instead of bare
 * ids. A click opens the session (its requests in order and its cache story).
 */
import { memo } from 'react';
import type { SessionGroup } from '../../../shared/contract.ts';
import { formatCount, formatShortDateTime, formatSpan } from '../format.ts';
import { groupCost, Money, UnpricedCount } from './Money.tsx';

export interface SessionsTableProps {
  sessions: SessionGroup[];
  projectLabel: (project: string | null) => string;
  onOpen?: (session: string) => void;
}

export const SessionsTable = memo(function SessionsTable({ sessions, projectLabel, onOpen }: SessionsTableProps) {
  return (
    <section className="panel breakdown sessions" aria-label="By session">
      <h3>By session</h3>
      {sessions.length === 0 ? (
        <p className="muted">Nothing in this range.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Project</th>
                <th scope="col">Started</th>
                <th scope="col" className="num">Duration</th>
                <th scope="col" className="num">Req.</th>
                <th scope="col" className="num">Cost</th>
                <th scope="col">Session</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((g) => {
                const known = g.key !== '(none)';
                const name = known ? projectLabel(g.project) : 'no session';
                return (
                  <tr key={g.key} data-session={g.key}>
                    <th scope="row" title={g.project ?? ''}>
                      {onOpen && known ? (
                        <button type="button" className="link" onClick={() => onOpen(g.key)} aria-label={`Open session ${name} ${g.key.slice(0, 8)}`}>
                          {name}
                        </button>
                      ) : (
                        name
                      )}
                    </th>
                    <td>{g.firstAt !== null ? formatShortDateTime(g.firstAt) : '—'}</td>
                    <td className="num">{g.firstAt !== null && g.lastAt !== null ? formatSpan(g.lastAt - g.firstAt) : '—'}</td>
                    <td className="num">{formatCount(g.requests)}</td>
                    <td className="num">
                      <Money nano={groupCost(g)} /> {groupCost(g) !== null && <UnpricedCount count={g.unpricedRequests} />}
                    </td>
                    <td className="muted small" title={g.key}>
                      {known ? g.key.slice(0, 8) : ''}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
});
