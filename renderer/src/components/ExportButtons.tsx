/** CSV/JSON export, shown only once the daemon answers GET /api/export.json?limit=1 with 200. */
import { useEffect, useState } from 'react';
import type { RequestQuery } from '../../../shared/contract.ts';
import type { ApiClient } from '../api/client.ts';

export function ExportButtons({ client, filter }: { client: ApiClient; filter: RequestQuery }) {
  const [available, setAvailable] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ac = new AbortController();
    void client.exportAvailable(ac.signal).then((ok) => {
      if (!ac.signal.aborted) setAvailable(ok);
    });
    return () => ac.abort();
  }, [client]);
  if (!available) return null;

  const download = async (format: 'csv' | 'json') => {
    setError(null);
    try {
      const blob = await client.exportBlob(format, filter);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `cco-requests.${format}`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div className="export" role="group" aria-label="Export">
      <button type="button" onClick={() => void download('csv')}>
        Export CSV
      </button>
      <button type="button" onClick={() => void download('json')}>
        Export JSON
      </button>
      {error && <span className="error" role="alert">{error}</span>}
    </div>
  );
}
