/**
 * Who is logged in to the daemon (GET /api/status `viewer`): the admin, one user of a team gateway, or the
 * desktop's own token (`local`; also what a daemon that does not say, or does not answer, is taken for: the
 * daemon enforces the scope, this only decides what the dashboard offers). Null until known.
 */
import { useEffect, useState } from 'react';
import type { Viewer } from '../../../shared/contract.ts';
import { useDaemon } from './daemon.tsx';

export function useViewer(): Viewer | null {
  const { client, epoch } = useDaemon();
  const [viewer, setViewer] = useState<Viewer | null>(null);
  useEffect(() => {
    if (!client) return;
    const ac = new AbortController();
    client.status(ac.signal).then(
      (s) => setViewer(s.viewer ?? { kind: 'local' }),
      () => {
        if (!ac.signal.aborted) setViewer((v) => v ?? { kind: 'local' }); // an older daemon has no /api/status
      },
    );
    return () => ac.abort();
  }, [client, epoch]);
  return viewer;
}

/** A user token's view: narrowed to its own records, without the admin's panels. */
export const isUserView = (v: Viewer | null): v is { kind: 'user'; user: string } => v?.kind === 'user';
