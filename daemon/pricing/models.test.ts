import { describe, expect, it } from 'vitest';
import { createModelIndex, normaliseModelId } from './models.ts';
import { PRICE_TABLE } from './prices.ts';

describe('models', () => {
  const index = createModelIndex(PRICE_TABLE.models);

  const resolves: [raw: string, key: string, matchedBy: string, context1m: boolean, platform: string][] = [
    ['claude-sonnet-4-5', 'claude-sonnet-4-5', 'exact', false, 'anthropic'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5', 'exact', false, 'anthropic'],
    ['  Claude-Sonnet-4-6 ', 'claude-sonnet-4-6', 'exact', false, 'anthropic'],
    ['claude-sonnet-4-5-20250929[1m]', 'claude-sonnet-4-5', 'exact', true, 'anthropic'],
    ['claude-opus-4-6[1M]', 'claude-opus-4-6', 'exact', true, 'anthropic'],
    ['claude-opus-4-20250514', 'claude-opus-4-0', 'exact', false, 'anthropic'],
    ['claude-opus-4-0', 'claude-opus-4-0', 'exact', false, 'anthropic'],
    ['claude-sonnet-4-20250514', 'claude-sonnet-4-0', 'exact', false, 'anthropic'],
    ['claude-opus-4-1', 'claude-opus-4-1', 'exact', false, 'anthropic'],
    ['claude-3-7-sonnet-latest', 'claude-3-7-sonnet-20250219', 'alias', false, 'anthropic'],
    ['claude-3-5-haiku-latest', 'claude-3-5-haiku-20241022', 'alias', false, 'anthropic'],
    ['claude-3-opus-latest', 'claude-3-opus-20240229', 'alias', false, 'anthropic'],
    ['claude-mythos-preview', 'claude-mythos-5', 'alias', false, 'anthropic'],
    ['claude-opus-4-1-latest', 'claude-opus-4-1', 'latest', false, 'anthropic'],
    ['claude-haiku-4-5-20260101', 'claude-haiku-4-5', 'dated', false, 'anthropic'],
    ['claude-opus-4-6-20260205', 'claude-opus-4-6', 'dated', false, 'anthropic'],
    ['anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5', 'exact', false, 'bedrock'],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5', 'exact', false, 'bedrock'],
    ['eu.anthropic.claude-3-7-sonnet-20250219-v1:0', 'claude-3-7-sonnet-20250219', 'exact', false, 'bedrock'],
    ['apac.anthropic.claude-3-5-haiku-20241022-v1:0', 'claude-3-5-haiku-20241022', 'exact', false, 'bedrock'],
    ['global.anthropic.claude-opus-4-6-v1', 'claude-opus-4-6', 'exact', false, 'bedrock'],
    ['us-gov.anthropic.claude-haiku-4-5-20251001-v1:0', 'claude-haiku-4-5', 'exact', false, 'bedrock'],
    [
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-1-20250805-v1:0',
      'claude-opus-4-1', 'exact', false, 'bedrock',
    ],
    ['claude-sonnet-4-5@20250929', 'claude-sonnet-4-5', 'exact', false, 'vertex'],
    ['claude-3-5-haiku@20241022', 'claude-3-5-haiku-20241022', 'exact', false, 'vertex'],
    ['claude-opus-4-6@default', 'claude-opus-4-6', 'exact', false, 'vertex'],
    ['claude-opus-4@20250514', 'claude-opus-4-0', 'exact', false, 'vertex'],
    ['anthropic/claude-sonnet-4.5', 'claude-sonnet-4-5', 'exact', false, 'anthropic'],
    ['claude-haiku-5-5', 'claude-haiku-5-5', 'exact', false, 'anthropic'],
  ];

  it.each(resolves)('%s → %s', (raw, key, matchedBy, context1m, platform) => {
    const r = index.resolve(raw);
    expect(r?.entry.key).toBe(key);
    expect(r?.matchedBy).toBe(matchedBy);
    expect(r?.normalised.context1m).toBe(context1m);
    expect(r?.normalised.platform).toBe(platform);
  });

  const unknown = [
    'gpt-4o', '<synthetic>', 'sonnet', 'opus', 'opusplan', 'claude-sonnet-9-9', 'claude-sonnet-4',
    'claude-3-5-sonnet-20241022', 'claude-opus-4-6-v1', 'claude-opus', '', '   ', '[1m]',
  ];
  it.each(unknown)('unknown: %j', (raw) => {
    expect(index.resolve(raw)).toBeNull();
  });

  it('null and undefined are not model ids', () => {
    expect(normaliseModelId(null)).toBeNull();
    expect(normaliseModelId(undefined)).toBeNull();
    expect(index.resolve(null)).toBeNull();
  });

  it('an undated name shared by two entries is ambiguous and never matched', () => {
    const idx = createModelIndex([
      { key: 'a', ids: ['x-model-20250101'], aliases: [] },
      { key: 'b', ids: ['x-model-20260101'], aliases: [] },
    ]);
    expect(idx.resolve('x-model-20250101')?.entry.key).toBe('a');
    expect(idx.resolve('x-model-20270101')).toBeNull();
    expect(idx.resolve('x-model-latest')).toBeNull();
  });

  it('every id and alias in the table resolves to its own entry', () => {
    for (const m of PRICE_TABLE.models) {
      for (const id of [m.key, ...m.ids, ...m.aliases]) expect(index.resolve(id)?.entry.key, id).toBe(m.key);
    }
  });
});
