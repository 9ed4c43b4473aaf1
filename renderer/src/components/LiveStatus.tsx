import type { LiveState } from '../api/live.ts';

const LABEL: Record<LiveState, string> = {
  open: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  closed: 'Offline',
};

/** Connection indicator for the live feed; announced politely to screen readers. */
export function LiveStatus({ state, version }: { state: LiveState; version?: string | null }) {
  return (
    <span className={`live-status live-${state}`} role="status" aria-live="polite" data-testid="live-status">
      <span className="dot" aria-hidden="true" />
      {LABEL[state]}
      {state === 'open' && version ? <span className="muted"> · v{version}</span> : null}
    </span>
  );
}
