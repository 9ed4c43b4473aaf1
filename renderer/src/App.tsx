import { Dashboard } from './views/Dashboard.tsx';
import { Popover } from './views/Popover.tsx';
import { DaemonProvider } from './hooks/daemon.tsx';
import type { CcoBridge } from './bridge.ts';

/** One app, two routes: the tray popover and the full dashboard. */
export function App({ bridge, view }: { bridge: CcoBridge; view: 'popover' | 'dashboard' }) {
  return <DaemonProvider bridge={bridge}>{view === 'popover' ? <Popover /> : <Dashboard />}</DaemonProvider>;
}
