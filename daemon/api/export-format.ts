/**
 * How an export's rows are written, apart from the HTTP handler: the store worker encodes export pages with
 * these same functions (see `Store.exportPage`), so the bytes are the same whichever thread encodes them.
 * Pure (no Node or express imports): the store worker's own bundle includes it.
 */
import type { RequestRecord } from '../../shared/contract.ts';
import { csvHeader, recordToCsv } from './csv.ts';

export type ExportFormat = 'csv' | 'json';

export interface Encoder {
  contentType: string;
  open: string;
  rows(items: readonly RequestRecord[], first: boolean): string;
  close: string;
}

export const ENCODERS: Record<ExportFormat, Encoder> = {
  csv: {
    contentType: 'text/csv; charset=utf-8; header=present',
    open: csvHeader(),
    rows: (items) => items.map(recordToCsv).join(''),
    close: '',
  },
  json: {
    contentType: 'application/json; charset=utf-8',
    open: '[',
    rows: (items, first) => (first ? '\n' : ',\n') + items.map((r) => JSON.stringify(r)).join(',\n'),
    close: '\n]\n',
  },
};

/**
 * One page of an export, encoded: its rows as UTF-8 bytes (`ENCODERS[format].rows`, `first` = no row was
 * written before it), how many rows, and the cursor of the next page.
 */
export interface ExportChunk {
  bytes: Uint8Array;
  rows: number;
  nextCursor: string | null;
}
