/**
 * Model id normalisation: every spelling of one model resolves to the same table entry.
 *
 * Handled: case and whitespace; Claude Code's `[1m]` suffix (also signals the 1M-context beta);
 * Bedrock ids (`anthropic.claude-…-v1:0`, regional prefixes `us.`/`eu.`/`apac.`/`global.`/…, and
 * inference-profile ARNs); Vertex ids (`claude-…@20250929`, `@default`); `anthropic/` prefixes and
 * dotted versions (`claude-sonnet-4.5`); `-latest`; dated snapshots of a known undated id.
 * No fuzzy or family matching: an id that does not resolve is unknown (→ unpriced), never a guess.
 */

export type ModelPlatform = 'anthropic' | 'bedrock' | 'vertex';

export interface NormalisedModelId {
  raw: string;
  id: string; // lower-case first-party style id, e.g. "claude-sonnet-4-5-20250929"
  context1m: boolean; // the id carried `[1m]`
  platform: ModelPlatform;
}

const ONE_M_SUFFIX = /\[1m\]$/;
const BEDROCK = /^(?:[a-z]{2,6}(?:-[a-z]+)?\.)?anthropic\.(.+)$/;
const BEDROCK_VERSION = /-v\d+(?::\d+)?$/;
const VERTEX_DATE = /@(\d{8})$/;
const VERTEX_OTHER = /@[a-z0-9._-]*$/;
const DATE_SUFFIX = /-\d{8}$/;
const LATEST_SUFFIX = /-latest$/;

/** Normalises a model id as seen on the wire or in logs; null for empty / non-string input. */
export function normaliseModelId(raw: string | null | undefined): NormalisedModelId | null {
  if (typeof raw !== 'string') return null;
  let id = raw.trim().toLowerCase();
  let context1m = false;
  let platform: ModelPlatform = 'anthropic';
  if (ONE_M_SUFFIX.test(id)) {
    context1m = true;
    id = id.replace(ONE_M_SUFFIX, '').trim();
  }
  if (id.startsWith('arn:')) {
    // arn:aws:bedrock:<region>:<acct>:inference-profile/us.anthropic.claude-…-v1:0 (or foundation-model/…)
    const slash = id.lastIndexOf('/');
    if (slash >= 0) id = id.slice(slash + 1);
  }
  if (id.startsWith('anthropic/')) id = id.slice('anthropic/'.length);
  const bedrock = BEDROCK.exec(id);
  if (bedrock?.[1]) {
    platform = 'bedrock';
    id = bedrock[1].replace(BEDROCK_VERSION, '');
  }
  if (id.includes('@')) {
    platform = 'vertex';
    id = id.replace(VERTEX_DATE, '-$1').replace(VERTEX_OTHER, '');
  }
  id = id.replace(/(\d)\.(\d)/g, '$1-$2');
  if (!id) return null;
  return { raw, id, context1m, platform };
}

export type MatchKind = 'exact' | 'alias' | 'latest' | 'dated';

export interface ResolvedModel<E> {
  entry: E;
  normalised: NormalisedModelId;
  matchedBy: MatchKind;
}

export interface ModelIndex<E> {
  resolve(raw: string | null | undefined): ResolvedModel<E> | null;
}

interface Indexable {
  key: string;
  ids: readonly string[];
  aliases: readonly string[];
}

/**
 * Builds a lookup over the table's ids and aliases. Lookup order for a normalised id:
 * 1. exact id or alias; 2. without `-latest`, against undated ids; 3. without a `-YYYYMMDD`
 * suffix, against ids (another dated snapshot of a known model version).
 * An undated name shared by two entries is ambiguous and never matched.
 */
export function createModelIndex<E extends Indexable>(entries: readonly E[]): ModelIndex<E> {
  const exact = new Map<string, { entry: E; kind: MatchKind }>();
  const undated = new Map<string, E | null>(); // null = ambiguous
  const addUndated = (name: string, entry: E): void => {
    const prev = undated.get(name);
    undated.set(name, prev === undefined || prev === entry ? entry : null);
  };
  for (const entry of entries) {
    for (const id of [entry.key, ...entry.ids]) {
      const n = id.toLowerCase();
      if (!exact.has(n)) exact.set(n, { entry, kind: 'exact' });
      addUndated(n.replace(DATE_SUFFIX, ''), entry);
    }
    for (const alias of entry.aliases) {
      const n = alias.toLowerCase();
      if (!exact.has(n)) exact.set(n, { entry, kind: 'alias' });
    }
  }
  return {
    resolve(raw) {
      const normalised = normaliseModelId(raw);
      if (!normalised) return null;
      const { id } = normalised;
      const hit = exact.get(id);
      if (hit) return { entry: hit.entry, normalised, matchedBy: hit.kind };
      if (LATEST_SUFFIX.test(id)) {
        const e = undated.get(id.replace(LATEST_SUFFIX, ''));
        if (e) return { entry: e, normalised, matchedBy: 'latest' };
      }
      if (DATE_SUFFIX.test(id)) {
        const e = undated.get(id.replace(DATE_SUFFIX, ''));
        if (e) return { entry: e, normalised, matchedBy: 'dated' };
      }
      return null;
    },
  };
}
