/**
 * Limit state per credential: the latest rate-limit values (merged field by field, so a garbled header keeps
 * the last good value), a utilization history per unified window and the spend booked in each window.
 * Persisted to `<data>/limits.json` (atomic write, 0600) a moment after each change and at close, and read
 * back at start, so a restart keeps the gauges and the forecast. Never throws into the proxy path.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CredentialLimits, LimitSample, LimitsResponse, StandardLimitBucket, StandardLimitName, UnifiedLimits } from '../../shared/contract.ts';
import { bindingLimit } from './describe.ts';
import { forecastWindow } from './forecast.ts';
import type { ParsedRateLimits } from './parse.ts';

export const LIMITS_FILE = 'limits.json';
export const NO_CREDENTIAL = '(none)';
const FILE_VERSION = 1;
const MAX_CREDENTIALS = 32;
const MAX_SAMPLES = 2000;
const KEEP_HISTORY_MS = 8 * 24 * 3_600_000;
/** A new sample is kept when utilization moved at least this much, or the last one is this old. */
const SAMPLE_MIN_DELTA = 0.001;
const SAMPLE_MAX_AGE_MS = 5 * 60_000;
const RESET_JITTER_MS = 5 * 60_000;

interface WindowSpend {
  resetsAt: number | null;
  nanoUsd: number;
}

interface Entry {
  credentialId: string;
  updatedAt: number;
  unified: UnifiedLimits | null;
  standard: Partial<Record<StandardLimitName, StandardLimitBucket>> | null;
  history: Record<string, LimitSample[]>;
  spend: Record<string, WindowSpend>;
}

export interface LimitTrackerOptions {
  /** Directory for limits.json; null = in memory only. */
  dataDir: string | null;
  /** Called (throttled) with a credential's new state when it changed. */
  onChange?: (c: CredentialLimits) => void;
  /** Called with the previous and the new unified state of a credential on every update (notifications). */
  onUnified?: (credentialId: string, before: UnifiedLimits | null, after: UnifiedLimits, now: number) => void;
  warn?: (msg: string) => void;
  saveDelayMs?: number;
  changeDelayMs?: number;
  now?: () => number;
}

export interface LimitTracker {
  /** Books one finished response: its parsed headers (or null) and its cost (null = unpriced / none). */
  observe(credentialId: string | null, parsed: ParsedRateLimits | null, costNanoUsd: number | null, at?: number): void;
  get(credentialId: string, now?: number): CredentialLimits | null;
  snapshot(now?: number): LimitsResponse;
  /** Writes the file now if anything changed. */
  flush(): void;
  close(): void;
}

/** A copy of a unified state (plain data: no structuredClone, which cost more than the rest of a request's bookkeeping). */
function copyUnified(u: UnifiedLimits): UnifiedLimits {
  const windows: UnifiedLimits['windows'] = {};
  for (const name of Object.keys(u.windows)) windows[name] = { ...u.windows[name]! };
  return { ...u, windows, overage: { ...u.overage, other: { ...u.overage.other } } };
}

/**
 * `prev` with every non-null field of `next` laid over it, and whether that changed anything. Unchanged, the
 * result is `prev` itself (not a copy); changed, a new object (`prev` stays as it was: observers get both).
 */
function mergeUnified(prev: UnifiedLimits | null, next: UnifiedLimits): { merged: UnifiedLimits; changed: boolean } {
  if (!prev) return { merged: copyUnified(next), changed: true };
  let out: UnifiedLimits | null = null;
  const edit = (): UnifiedLimits => (out ??= copyUnified(prev));
  const scalars = ['status', 'resetsAt', 'representativeClaim', 'fallback', 'fallbackPercentage'] as const;
  for (const k of scalars) {
    const v = next[k];
    if (v !== null && v !== prev[k]) (edit() as unknown as Record<string, unknown>)[k] = v;
  }
  for (const name of Object.keys(next.windows)) {
    const w = next.windows[name]!;
    const o = prev.windows[w.name];
    if (!o) {
      edit().windows[w.name] = { name: w.name, utilization: w.utilization, resetsAt: w.resetsAt, status: w.status };
      continue;
    }
    if ((w.utilization !== null && w.utilization !== o.utilization) || (w.resetsAt !== null && w.resetsAt !== o.resetsAt) || (w.status !== null && w.status !== o.status)) {
      const c = edit().windows[w.name]!;
      c.utilization = w.utilization ?? c.utilization;
      c.resetsAt = w.resetsAt ?? c.resetsAt;
      c.status = w.status ?? c.status;
    }
  }
  const overage = ['status', 'resetsAt', 'inUse', 'disabledReason'] as const;
  for (const k of overage) {
    const v = next.overage[k];
    if (v !== null && v !== prev.overage[k]) (edit().overage as unknown as Record<string, unknown>)[k] = v;
  }
  for (const k of Object.keys(next.overage.other)) {
    if (next.overage.other[k] !== prev.overage.other[k]) edit().overage.other[k] = next.overage.other[k]!;
  }
  return out ? { merged: out, changed: true } : { merged: prev, changed: false };
}

/** `prev` with every non-null field of `next` laid over it; `prev` itself when nothing changes (see mergeUnified). */
function mergeStandard(
  prev: Entry['standard'],
  next: NonNullable<ParsedRateLimits['standard']>,
): { merged: NonNullable<Entry['standard']>; changed: boolean } {
  let out: NonNullable<Entry['standard']> | null = prev ? null : {};
  for (const name of Object.keys(next) as StandardLimitName[]) {
    const b = next[name]!;
    const o = prev?.[name];
    if (o && (b.limit === null || b.limit === o.limit) && (b.remaining === null || b.remaining === o.remaining) && (b.resetsAt === null || b.resetsAt === o.resetsAt)) continue;
    if (!out) {
      out = {};
      for (const k of Object.keys(prev!) as StandardLimitName[]) out[k] = { ...prev![k]! };
    }
    const c = (out[name] ??= { limit: null, remaining: null, resetsAt: null });
    c.limit = b.limit ?? c.limit;
    c.remaining = b.remaining ?? c.remaining;
    c.resetsAt = b.resetsAt ?? c.resetsAt;
  }
  return out ? { merged: out, changed: true } : { merged: prev!, changed: false };
}

/** Loose check of a persisted entry; anything off and the whole entry is dropped. */
function validEntry(v: unknown): v is Entry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Partial<Entry>;
  return (
    typeof e.credentialId === 'string' &&
    typeof e.updatedAt === 'number' &&
    typeof e.history === 'object' && e.history !== null &&
    typeof e.spend === 'object' && e.spend !== null &&
    (e.unified === null || (typeof e.unified === 'object' && typeof e.unified.windows === 'object' && e.unified.windows !== null && typeof e.unified.overage === 'object'))
  );
}

export function readLimitsFile(dataDir: string, warn: (m: string) => void = () => {}): Entry[] {
  const file = path.join(dataDir, LIMITS_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  try {
    const doc = JSON.parse(text) as { version?: unknown; credentials?: unknown };
    if (doc.version !== FILE_VERSION || !Array.isArray(doc.credentials)) throw new Error('unknown format');
    return doc.credentials.filter(validEntry);
  } catch (err) {
    warn(`${file}: ignored (${(err as Error).message}); limit state starts empty`);
    return [];
  }
}

/** Atomic write: temp file (0600) in the same directory, then rename. */
function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function createLimitTracker(opts: LimitTrackerOptions): LimitTracker {
  const now = opts.now ?? (() => Date.now());
  const warn = opts.warn ?? (() => {});
  const entries = new Map<string, Entry>();
  for (const e of opts.dataDir ? readLimitsFile(opts.dataDir, warn) : []) entries.set(e.credentialId, e);
  let dirty = false;
  let saveTimer: NodeJS.Timeout | null = null;
  const pendingChange = new Set<string>();
  let changeTimer: NodeJS.Timeout | null = null;
  let closed = false;

  const view = (e: Entry, t: number): CredentialLimits => ({
    credentialId: e.credentialId,
    updatedAt: e.updatedAt,
    unified: e.unified,
    standard: e.standard,
    history: e.history,
    forecasts: e.unified
      ? Object.values(e.unified.windows).map((w) => forecastWindow(w.name, e.history[w.name] ?? [], t, w.resetsAt, e.spend[w.name]?.nanoUsd ?? 0))
      : [],
  });

  const save = () => {
    saveTimer = null;
    if (!dirty || !opts.dataDir) return;
    dirty = false;
    try {
      writeFileAtomic(path.join(opts.dataDir, LIMITS_FILE), JSON.stringify({ version: FILE_VERSION, credentials: [...entries.values()] }));
    } catch (err) {
      warn(`could not save the limit state: ${(err as Error).message}`);
    }
  };
  const scheduleSave = () => {
    dirty = true;
    if (saveTimer || closed) return;
    saveTimer = setTimeout(save, opts.saveDelayMs ?? 2000);
    saveTimer.unref();
  };
  const emitChanges = () => {
    changeTimer = null;
    const t = now();
    for (const id of pendingChange) {
      const e = entries.get(id);
      if (e) opts.onChange?.(view(e, t));
    }
    pendingChange.clear();
  };
  const scheduleChange = (id: string) => {
    if (!opts.onChange || closed) return;
    pendingChange.add(id);
    if (changeTimer) return;
    changeTimer = setTimeout(emitChanges, opts.changeDelayMs ?? 250);
    changeTimer.unref();
  };

  const addSample = (e: Entry, name: string, u: number, resetsAt: number | null, t: number) => {
    const list = (e.history[name] ??= []);
    const last = list[list.length - 1];
    const moved =
      !last ||
      Math.abs(u - last.u) >= SAMPLE_MIN_DELTA ||
      (resetsAt !== null && last.resetsAt !== null && Math.abs(resetsAt - last.resetsAt) > RESET_JITTER_MS) ||
      t - last.t >= SAMPLE_MAX_AGE_MS;
    if (!moved) return false;
    list.push({ t, u, resetsAt });
    let drop = 0;
    while (drop < list.length && (list.length - drop > MAX_SAMPLES || list[drop]!.t < t - KEEP_HISTORY_MS)) drop++;
    if (drop) list.splice(0, drop);
    return true;
  };

  return {
    observe(credentialId, parsed, costNanoUsd, at = now()) {
      try {
        const id = credentialId ?? NO_CREDENTIAL;
        let e = entries.get(id);
        if (!e) {
          if (!parsed) return; // spend alone does not start tracking a credential
          if (entries.size >= MAX_CREDENTIALS) {
            const oldest = [...entries.values()].sort((a, b) => a.updatedAt - b.updatedAt)[0]!;
            entries.delete(oldest.credentialId);
          }
          e = { credentialId: id, updatedAt: at, unified: null, standard: null, history: {}, spend: {} };
          entries.set(id, e);
        }
        let changed = false;
        if (parsed?.unified) {
          const before = e.unified;
          const { merged: after, changed: unifiedChanged } = mergeUnified(before, parsed.unified);
          changed = unifiedChanged;
          e.unified = after;
          for (const w of Object.values(after.windows)) {
            const spend = (e.spend[w.name] ??= { resetsAt: w.resetsAt, nanoUsd: 0 });
            if (w.resetsAt !== null && (spend.resetsAt === null || Math.abs(w.resetsAt - spend.resetsAt) > RESET_JITTER_MS)) {
              spend.resetsAt = w.resetsAt;
              spend.nanoUsd = 0;
            }
            if (w.utilization !== null && parsed.unified.windows[w.name]?.utilization != null) {
              if (addSample(e, w.name, w.utilization, w.resetsAt, at)) changed = true;
            }
          }
          try {
            opts.onUnified?.(id, before, after, at);
          } catch (err) {
            warn(`limit notification failed: ${(err as Error).message}`);
          }
        }
        if (parsed?.standard) {
          const { merged, changed: standardChanged } = mergeStandard(e.standard, parsed.standard);
          if (standardChanged) changed = true;
          e.standard = merged;
        }
        if (parsed) e.updatedAt = Math.max(e.updatedAt, at);
        if (costNanoUsd && costNanoUsd > 0) {
          for (const s of Object.values(e.spend)) {
            if (s.resetsAt === null || at < s.resetsAt) s.nanoUsd += costNanoUsd;
          }
          changed = true;
        }
        if (changed) {
          scheduleSave();
          scheduleChange(id);
        }
      } catch (err) {
        warn(`limit tracking failed: ${(err as Error).message}`);
      }
    },
    get(credentialId, t = now()) {
      const e = entries.get(credentialId);
      return e ? view(e, t) : null;
    },
    snapshot(t = now()) {
      const credentials = [...entries.values()].sort((a, b) => b.updatedAt - a.updatedAt).map((e) => view(e, t));
      return { now: t, credentials, binding: bindingLimit({ credentials }, t) };
    },
    flush() {
      if (saveTimer) clearTimeout(saveTimer);
      save();
    },
    close() {
      if (changeTimer) clearTimeout(changeTimer);
      changeTimer = null;
      if (saveTimer) clearTimeout(saveTimer);
      save();
      closed = true;
    },
  };
}
