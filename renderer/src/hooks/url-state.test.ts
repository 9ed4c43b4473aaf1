import { describe, expect, it } from 'vitest';
import { readDashboardUrl, writeDashboardUrl, type DashboardUrlState } from './url-state.ts';

const defaults: DashboardUrlState = { range: { range: '7d' }, by: 'model', filter: {} };

describe('dashboard URL state', () => {
  it('round-trips range, stacking, filters and sort, leaving defaults out', () => {
    const state: DashboardUrlState = {
      range: { range: '30d' },
      by: 'project',
      filter: { project: '/home/u/a/my app', model: 'claude-opus-4-6', user: 'alice', state: 'errors' as never, sort: 'cost', order: 'asc' },
    };
    const search = writeDashboardUrl('', state, defaults);
    expect(search).toContain('range=30d');
    expect(search).toContain('by=project');
    expect(readDashboardUrl(search, defaults)).toEqual(state);
    expect(writeDashboardUrl('', defaults, defaults)).toBe('');
  });

  it('keeps a custom range and parameters it does not own', () => {
    const state: DashboardUrlState = { range: { range: 'custom', from: 1000, to: 2000 }, by: 'model', filter: { session: 's-1' } };
    const search = writeDashboardUrl('?view=dashboard&range=today', state, defaults);
    const p = new URLSearchParams(search);
    expect(p.get('view')).toBe('dashboard');
    expect(readDashboardUrl(search, defaults)).toEqual(state);
  });

  it('ignores what it cannot read', () => {
    expect(readDashboardUrl('?range=forever&by=color&state=bogus&sort=size&from=x', defaults)).toEqual(defaults);
    expect(readDashboardUrl('?range=custom&from=5&to=1', defaults).range).toEqual({ range: '7d' });
  });
});
