/**
 * The app's self-update in the popover: "Update available → Download → progress → Restart to install", and
 * failures. Electron only (bridge.updates); renders nothing in the browser or when nothing is pending.
 */
import { useEffect, useState } from 'react';
import type { CcoBridge, UpdateStatus } from '../../../shared/bridge.ts';

export function UpdateBanner({ updates }: { updates: CcoBridge['updates'] }) {
  const [status, setStatus] = useState<UpdateStatus | null>(null);
  useEffect(() => {
    if (!updates) return;
    let live = true;
    void updates.status().then((s) => live && setStatus(s), () => {});
    const off = updates.onStatus((s) => setStatus(s));
    return () => {
      live = false;
      off();
    };
  }, [updates]);
  if (!updates || !status) return null;
  const st = status.state;
  switch (st.kind) {
    case 'available':
      return (
        <div className="update-banner" role="status">
          <span>CCO {st.version} is available.</span>
          <button type="button" onClick={() => void updates.download().then((s) => s && setStatus(s))}>Download</button>
        </div>
      );
    case 'downloading':
      return (
        <div className="update-banner" role="status">
          <span>Downloading CCO {st.version}…</span>
          <progress max={100} value={Math.round(st.percent)} aria-label="Update download" />
        </div>
      );
    case 'downloaded':
      return (
        <div className="update-banner" role="status">
          <span>CCO {st.version} is ready.</span>
          <button type="button" onClick={() => void updates.install()}>Restart to install</button>
        </div>
      );
    case 'error':
      return (
        <div className="update-banner error" role="alert">
          <span>{st.message}</span>
          <button type="button" onClick={() => void (st.during === 'download' ? updates.download() : updates.check()).then((s) => s && setStatus(s))}>Try again</button>
        </div>
      );
    default:
      return null;
  }
}
