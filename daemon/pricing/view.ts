/**
 * The read-only view of the active price table served by GET /api/prices, so the UI can say
 * "priced with table vX as of DATE". Plain JSON; prices as exact USD-per-MTok decimal strings.
 */
import type { PriceTableInfo } from '../../shared/contract.ts';
import { nanoToUsd } from './decimal.ts';
import { pricesAt, PRICE_FIELDS, type CompiledTable } from './compile.ts';
import type { FastRule, ModelFamily, PriceChange, PriceSetUsd, TierRule } from './prices.ts';
import type { PriceOverrides } from './overrides.ts';

export interface PriceModelView {
  key: string;
  name: string;
  family: ModelFamily;
  ids: string[];
  aliases: string[];
  status: string;
  notes: string | null;
  /** Prices in effect at the view's `at` instant. */
  current: PriceSetUsd;
  base: PriceSetUsd;
  changes: PriceChange[];
  fast: FastRule[];
  usGeo: boolean;
  tiers: TierRule[];
}

export interface PriceTableView {
  version: string; // active price version (table version, plus `+user.<hash>` with overrides)
  tableVersion: string; // built-in table version
  asOf: string; // YYYY-MM-DD of the table data
  at: string; // ISO instant the `current` prices refer to
  currency: 'USD';
  unit: 'per million tokens';
  webSearchPer1000: string;
  multipliers: { batch: string; usGeo: string };
  overrides: { file: string; hash: string; warnings: string[] } | null;
  /** Every model id and alias the table prices (PriceTableInfo.models). */
  models: string[];
  entries: PriceModelView[];
}

/** Compile-time check: the view is a valid contract PriceTableInfo. */
type Assignable<T extends U, U> = T;
export type _ViewIsPriceTableInfo = Assignable<PriceTableView, PriceTableInfo>;

export function buildTableView(
  compiled: CompiledTable,
  atMs: number,
  overrides: PriceOverrides | null,
  warnings: readonly string[],
): PriceTableView {
  const tableVersion = overrides ? compiled.version.split('+user.')[0] ?? compiled.version : compiled.version;
  return {
    version: compiled.version,
    tableVersion,
    asOf: compiled.asOf,
    at: new Date(atMs).toISOString(),
    currency: 'USD',
    unit: 'per million tokens',
    webSearchPer1000: compiled.source.webSearchPer1000,
    multipliers: { batch: '0.5', usGeo: '1.1' },
    overrides: overrides ? { file: overrides.file, hash: overrides.hash, warnings: [...warnings] } : null,
    models: [...new Set(compiled.entries.flatMap((e) => [e.key, ...e.ids, ...e.aliases]))],
    entries: compiled.entries.map((e) => {
      const now = pricesAt(e, atMs);
      const current = {} as PriceSetUsd;
      for (const f of PRICE_FIELDS) current[f] = nanoToUsd(now[f]);
      const s = e.source;
      return {
        key: s.key,
        name: s.name,
        family: s.family,
        ids: [...s.ids],
        aliases: [...s.aliases],
        status: s.status,
        notes: s.notes ?? null,
        current,
        base: { ...s.prices },
        changes: s.changes ?? [],
        fast: s.fast ?? [],
        usGeo: s.usGeo,
        tiers: s.tiers ?? [],
      };
    }),
  };
}
