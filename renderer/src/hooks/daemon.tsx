/**
 * DaemonProvider: resolves the daemon address through the bridge, builds the one ApiClient, and runs
 * the one live connection for the window. Views read data through the hooks in ./data.ts.
 */
import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { CredentialLimits, ImportStatus, RequestRecord } from '../../../shared/contract.ts';
import { ApiClient } from '../api/client.ts';
import { LiveConnection, type LiveState } from '../api/live.ts';
import type { CcoBridge } from '../../../shared/bridge.ts';

type RecordListener = (r: RequestRecord) => void;
type LimitsListener = (c: CredentialLimits) => void;

export interface DaemonContextValue {
  bridge: CcoBridge;
  client: ApiClient | null;
  error: string | null;
  live: LiveState;
  /** Incremented on every live (re)connect: data hooks refetch when it changes. */
  epoch: number;
  /** Daemon version from the live feed's hello frame. */
  version: string | null;
  /** The history import's status from live `import` messages (null until one arrives; HistoryPanel reads GET /api/import). */
  importStatus: ImportStatus | null;
  onRecord(listener: RecordListener): () => void;
  /** Live `limits` frames (a credential's limit state changed). */
  onLimits?(listener: LimitsListener): () => void;
}

const DaemonContext = createContext<DaemonContextValue | null>(null);

export function useDaemon(): DaemonContextValue {
  const v = useContext(DaemonContext);
  if (!v) throw new Error('useDaemon outside DaemonProvider');
  return v;
}

export interface DaemonProviderProps {
  bridge: CcoBridge;
  /**
   * A client already built (and primed) before React mounted, used for the first connection. Given as a
   * client (not a promise) it is there in the first render, so views can show primed data at once.
   */
  initialClient?: Promise<ApiClient> | ApiClient;
  children: ReactNode;
}

export function DaemonProvider({ bridge, initialClient, children }: DaemonProviderProps) {
  const [client, setClient] = useState<ApiClient | null>(() => (initialClient instanceof ApiClient ? initialClient : null));
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState<LiveState>('connecting');
  const [epoch, setEpoch] = useState(0);
  const [version, setVersion] = useState<string | null>(null);
  const [importStatus, setImportStatus] = useState<ImportStatus | null>(null);
  const listeners = useRef(new Set<RecordListener>());
  const limitListeners = useRef(new Set<LimitsListener>());
  const [restarts, setRestarts] = useState(0);

  useEffect(() => bridge.daemon.onRestarted?.(() => setRestarts((n) => n + 1)), [bridge]);

  useEffect(() => {
    if (restarts === 0 && initialClient instanceof ApiClient) return; // in state from the first render
    let cancelled = false;
    const next: Promise<ApiClient> =
      restarts === 0 && initialClient instanceof Promise ? initialClient : bridge.daemon.info().then((info) => new ApiClient(info));
    next
      .then((c) => {
        if (!cancelled) {
          setClient(c);
          setError(null);
        }
      })
      .catch((e: unknown) => {
        if (!cancelled) setError(e instanceof Error ? e.message : String(e));
      });
    return () => {
      cancelled = true;
    };
  }, [bridge, restarts, initialClient]);

  useEffect(() => {
    if (!client) return;
    // A record that finished after an API answer was read but before the socket opened reaches the views
    // neither way: the answer's seq (records published when it was asked) below the hello's says so.
    let helloSeq: number | null = null;
    let lowestRead: number | null = null;
    const refetch = () => {
      lowestRead = null;
      setEpoch((n) => n + 1);
    };
    const stopSeq = client.onLiveSeq((seq) => {
      if (helloSeq !== null && seq < helloSeq) refetch();
      else if (helloSeq === null) lowestRead = lowestRead === null ? seq : Math.min(lowestRead, seq);
    });
    const conn = new LiveConnection({
      url: () => client.liveUrl(),
      onMessage: (msg) => {
        if (msg.type === 'hello') {
          setVersion(msg.version);
          helloSeq = msg.seq;
          if (lowestRead !== null && lowestRead < msg.seq) refetch();
          lowestRead = null;
        }
        else if (msg.type === 'request') for (const l of listeners.current) l(msg.record);
        else if (msg.type === 'import') {
          setImportStatus(msg.status);
          // An import that stored requests changes every figure: data hooks refetch.
          if (!msg.status.running && msg.status.last && msg.status.last.imported > 0) setEpoch((n) => n + 1);
        }
        else if (msg.type === 'limits') for (const l of limitListeners.current) l(msg.limits);
      },
      onState: (s) => {
        setLive(s);
        // Reads while the socket is down compare with the next hello, not with the last (a restarted daemon counts from 0).
        if (s !== 'open') helloSeq = null;
      },
      onOpen: (reconnected) => {
        if (reconnected) refetch();
      },
    });
    conn.start();
    return () => {
      stopSeq();
      conn.stop();
    };
  }, [client]);

  const value = useMemo<DaemonContextValue>(
    () => ({
      bridge,
      client,
      error,
      live,
      epoch,
      version,
      importStatus,
      onRecord: (l) => {
        listeners.current.add(l);
        return () => listeners.current.delete(l);
      },
      onLimits: (l) => {
        limitListeners.current.add(l);
        return () => limitListeners.current.delete(l);
      },
    }),
    [bridge, client, error, live, epoch, version, importStatus],
  );
  return <DaemonContext.Provider value={value}>{children}</DaemonContext.Provider>;
}
