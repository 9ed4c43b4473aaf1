/**
 * The daemon's recording health on the dashboard (GET /api/status): nothing while it is ok, a banner with
 * the problems otherwise — not recording (standby, full disk), records dropped, damaged files moved aside.
 * Re-read every STATUS_POLL_MS and whenever the daemon connection changes.
 */
import { useEffect, useState } from 'react';
import type { StatusResponse } from '../../../shared/contract.ts';
import { useDaemon } from '../hooks/daemon.tsx';

export const STATUS_POLL_MS = 15_000;

export function StatusBannerView({ status }: { status: StatusResponse | null }) {
  if (!status || status.status === 'ok') return null;
  const error = status.status === 'error';
  return (
    <div className={`update-banner status-banner${error ? ' error' : ''}`} role={error ? 'alert' : 'status'} data-testid="status-banner">
      <div>
        <strong>{error ? 'CCO has a problem recording requests' : 'CCO needs attention'}</strong>
        <ul className="small">
          {status.problems.map((p) => (
            <li key={`${p.code}:${p.file ?? ''}`} data-code={p.code}>
              {p.message}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

export function StatusBanner() {
  const { client, epoch } = useDaemon();
  const [status, setStatus] = useState<StatusResponse | null>(null);
  useEffect(() => {
    if (!client) return;
    const ac = new AbortController();
    const read = () => client.status(ac.signal).then(setStatus, () => undefined); // an older daemon has none
    void read();
    const t = setInterval(() => void read(), STATUS_POLL_MS);
    return () => {
      clearInterval(t);
      ac.abort();
    };
  }, [client, epoch]);
  return <StatusBannerView status={status} />;
}
