import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors.ts';
import { loadConfig } from '../config/load.ts';
import { applyBudgetChange, applyBudgetChangeToText, budgetConfigFromText } from './rules.ts';

const FILE = '/x/config.toml';

describe('budget rules in config.toml', () => {
  it('reads global and per-project caps', () => {
    const text = `# my config
[budgets]
daily_usd = 10      # keep it low
monthly_hard = true
monthly_usd = 200.5

[budgets.projects."/home/me/repo"]
weekly_usd = 25
weekly_hard = true

[budgets.projects."/tmp/other"]
daily_usd = "lots"
`;
    const warnings: string[] = [];
    const c = budgetConfigFromText(text, FILE, (m) => warnings.push(m));
    expect(c.rules).toEqual([
      { period: 'daily', usd: 10, project: null, hard: false },
      { period: 'monthly', usd: 200.5, project: null, hard: true },
      { period: 'weekly', usd: 25, project: '/home/me/repo', hard: true },
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/daily_usd = "lots" ignored/);
    expect(c.alerts.thresholds).toBe('80,95');
  });

  it('a bad global value is a ConfigError naming file, key and what is allowed', () => {
    expect(() => budgetConfigFromText('[budgets]\ndaily_usd = -1\n', FILE)).toThrow(ConfigError);
    expect(() => budgetConfigFromText('[budgets]\ndaily_usd = -1\n', FILE)).toThrow(/\[budgets\] daily_usd = -1 is not allowed; expected an amount in USD/);
    expect(() => budgetConfigFromText('[alerts]\nthresholds = "80,500"\n', FILE)).toThrow(/percentages/);
  });

  it('edits keep comments and layout; clearing sets 0', () => {
    const text = '# top\n[budgets]\ndaily_usd = 10 # mine\n\n[server]\nport = 3000\n';
    const a = applyBudgetChangeToText(text, { period: 'daily', usd: 12.345, hard: true });
    expect(a).toBe('# top\n[budgets]\ndaily_usd = 12.35 # mine\ndaily_hard = true\n\n[server]\nport = 3000\n');
    const b = applyBudgetChangeToText(a, { period: 'weekly', usd: 30, project: '/p "q"' });
    expect(b).toContain('[budgets.projects."/p \\"q\\""]\nweekly_usd = 30\nweekly_hard = false\n');
    const c = applyBudgetChangeToText(b, { period: 'weekly', usd: 0, project: '/p "q"' });
    expect(budgetConfigFromText(c, FILE).rules).toEqual([{ period: 'daily', usd: 12.35, project: null, hard: true }]);
    const d = applyBudgetChangeToText('', { period: 'monthly', usd: 5 });
    expect(d).toBe('[budgets]\nmonthly_usd = 5\nmonthly_hard = false\n');
  });

  it('writes the file atomically (0600) and the general config loader accepts project tables', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-budget-'));
    const file = path.join(dir, 'config.toml');
    fs.writeFileSync(file, '[server]\nport = 3100 # comment\n');
    applyBudgetChange(file, { period: 'daily', usd: 3, project: '/repo', hard: true });
    applyBudgetChange(file, { period: 'daily', usd: 7 });
    expect(fs.readFileSync(file, 'utf8')).toContain('port = 3100 # comment');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['config.toml']);
    const loaded = loadConfig({ file, env: {} });
    expect(loaded.config.budgets.daily_usd).toBe(7);
    expect(() => applyBudgetChange(file, { period: 'daily', usd: -3 })).toThrow(ConfigError);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
