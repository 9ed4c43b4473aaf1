import { useCallback, useEffect, useState } from 'react';

/** The location hash as state (`#/requests/<id>` opens a request's detail). */
export function useHashRoute(): [string, (hash: string) => void] {
  const [hash, setHashState] = useState(() => window.location.hash);
  useEffect(() => {
    const on = () => setHashState(window.location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  const setHash = useCallback((h: string) => {
    if (h === '') {
      history.replaceState(null, '', window.location.pathname + window.location.search);
    } else {
      window.location.hash = h;
    }
    setHashState(h);
  }, []);
  return [hash, setHash];
}
