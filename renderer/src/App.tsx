import { lazy, Suspense } from 'react';
import { DaemonProvider } from './hooks/daemon.tsx';
import type { ApiClient } from './api/client.ts';
import type { CcoBridge } from './bridge.ts';

// Each route loads only its own code: the popover must open fast and never parse the dashboard.
const Dashboard = lazy(() => import('./views/Dashboard.tsx').then((m) => ({ default: m.Dashboard })));
const Popover = lazy(() => import('./views/Popover.tsx').then((m) => ({ default: m.Popover })));

/** One app, two routes: the tray popover and the full dashboard. */
export function App({ bridge, view, initialClient }: { bridge: CcoBridge; view: 'popover' | 'dashboard'; initialClient?: Promise<ApiClient> }) {
  return (
    <DaemonProvider bridge={bridge} initialClient={initialClient}>
      <Suspense fallback={null}>{view === 'popover' ? <Popover /> : <Dashboard />}</Suspense>
    </DaemonProvider>
  );
}
