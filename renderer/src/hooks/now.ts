import { useEffect, useState } from 'react';

/** The current time, refreshed every `everyMs` while it is not null (a label's age), else fixed. */
export function useNowEvery(everyMs: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (everyMs === null) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
