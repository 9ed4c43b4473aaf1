import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import type { BudgetStatus } from '../../../shared/contract.ts';
import { budgetGauge } from './LimitGauges.tsx';

const status = (over: Partial<BudgetStatus>): BudgetStatus => ({
  period: 'daily', usd: 2, project: null, hard: true, spentNanoUsd: 2.1e9, fraction: 1.05, state: 'exceeded', periodStart: 0, periodEnd: 3_600_000, ...over,
});

afterEach(cleanup);

describe('budget gauges', () => {
  it('name the user of a user budget and of a per-user default row, apart from global and project ones', () => {
    render(
      <div>
        {budgetGauge(status({}), 0)}
        {budgetGauge(status({ project: '/work/app', state: 'ok', fraction: 0.5 }), 0)}
        {budgetGauge(status({ user: 'alice' }), 0)}
        {budgetGauge(status({ user: 'bob', perUser: true, fraction: 0.4, state: 'ok' }), 0)}
      </div>,
    );
    expect(screen.getByTestId('budget-daily').textContent).toMatch(/^Daily budget105%/);
    expect(screen.getByTestId('budget-daily-project').textContent).toMatch(/^Daily budget · app50%/);
    expect(screen.getByTestId('budget-daily-user-alice').textContent).toMatch(/^Daily budget · alice105%\$2\.10 of \$2\.00 · hard/);
    expect(screen.getByTestId('budget-daily-user-bob').textContent).toMatch(/^Daily budget · bob \(per-user\)40%/);
  });
});
