/**
 * The API's input validation without loading zod at start: the schemas (query.ts) are imported at the first
 * call that needs them, then kept. One answer shape for the routes: the parsed value, or the 400's message.
 */
import type { z } from 'zod';

type Schemas = typeof import('./query.ts');
type SchemaName = 'summaryQuery' | 'requestsQuery' | 'exportQuery' | 'importBody';

let schemas: Promise<Schemas> | null = null;

export type Parsed<K extends SchemaName> = { ok: true; data: z.output<Schemas[K]> } | { ok: false; message: string };

/** Validates `input` with query.ts' schema `name`. */
export async function parseInput<K extends SchemaName>(name: K, input: unknown): Promise<Parsed<K>> {
  const m = await (schemas ??= import('./query.ts'));
  const r = (m[name] as z.ZodType).safeParse(input);
  return r.success ? { ok: true, data: r.data as z.output<Schemas[K]> } : { ok: false, message: m.describeZodError(r.error) };
}
