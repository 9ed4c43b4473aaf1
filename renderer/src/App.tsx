import { lazy, Suspense } from 'react';
import { DaemonProvider } from './hooks/daemon.tsx';
import { Popover } from './views/Popover.tsx';
import type { ApiClient } from './api/client.ts';
import type { CcoBridge } from '../../shared/bridge.ts';

// The popover is small and must open fast: it is in the entry chunk. The dashboard (tables, full chart)
// loads as its own chunk with recharts; the popover draws its sparkline without a chart library.
const Dashboard = lazy(() => import('./views/Dashboard.tsx').then((m) => ({ default: m.Dashboard })));

/** One app, two routes: the tray popover and the full dashboard. */
export function App({ bridge, view, initialClient }: { bridge: CcoBridge; view: 'popover' | 'dashboard'; initialClient?: Promise<ApiClient> | ApiClient }) {
  return (
    <DaemonProvider bridge={bridge} initialClient={initialClient}>
      <Suspense fallback={null}>{view === 'popover' ? <Popover /> : <Dashboard />}</Suspense>
    </DaemonProvider>
  );
}
