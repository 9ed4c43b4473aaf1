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

describe('per-user budgets in config.toml (team modes)', () => {
  const TEXT = `[budgets]
daily_usd = 50

[budgets.users."alice"]
daily_usd = 5
daily_hard = true

[budgets.users."bob@example.com"]
monthly_usd = 100

[budgets.per_user]   # every user without a cap of their own for that period
daily_usd = 10
daily_hard = true
weekly_usd = 0
`;

  it('reads user caps and the per-user default (user "*"); 0 = none', () => {
    expect(budgetConfigFromText(TEXT, FILE).rules).toEqual([
      { period: 'daily', usd: 50, project: null, hard: false },
      { period: 'daily', usd: 5, project: null, user: 'alice', hard: true },
      { period: 'monthly', usd: 100, project: null, user: 'bob@example.com', hard: false },
      { period: 'daily', usd: 10, project: null, user: '*', hard: true },
    ]);
  });

  it.each([
    ['[budgets.users."alice"]\ndaily_usd = -5\n', '/x/config.toml: [budgets.users."alice"] daily_usd = -5 is not allowed; expected an amount in USD from 0 to 1000000'],
    ['[budgets.users."alice"]\ndaily_usd = "10"\n', '/x/config.toml: [budgets.users."alice"] daily_usd = "10" is not allowed; expected an amount in USD from 0 to 1000000'],
    ['[budgets.users."alice"]\ndaily_hard = "yes"\n', '/x/config.toml: [budgets.users."alice"] daily_hard = "yes" is not allowed; expected true or false'],
    ['[budgets.users."alice"]\ndayly_usd = 5\n', '/x/config.toml: [budgets.users."alice"] unknown key "dayly_usd"; allowed keys: daily_usd, weekly_usd, monthly_usd, daily_hard, weekly_hard, monthly_hard'],
    ['[budgets.per_user]\nmonthly_usd = 2000000\n', '/x/config.toml: [budgets.per_user] monthly_usd = 2000000 is not allowed; expected an amount in USD from 0 to 1000000'],
    ['[budgets]\nper_user = 5\n', '/x/config.toml: budgets.per_user must be a table ([budgets.per_user] with daily_usd, weekly_usd, monthly_usd, daily_hard, weekly_hard, monthly_hard)'],
    ['[budgets]\nusers = "alice"\n', '/x/config.toml: budgets.users must hold one table per user, e.g. [budgets.users."alice"] with daily_usd = 10'],
    ['[budgets.users]\nalice = 5\n', '/x/config.toml: budgets.users."alice" must be a table ([budgets.users."alice"] with daily_usd, weekly_usd, monthly_usd, daily_hard, weekly_hard, monthly_hard)'],
    ['[budgets.users."*"]\ndaily_usd = 5\n', '/x/config.toml: [budgets.users."*"]: use [budgets.per_user] for a budget of every user'],
    ['[budgets.users." bob"]\ndaily_usd = 5\n', '/x/config.toml: [budgets.users." bob"]: a user name must be non-empty, without spaces around it'],
  ])('a bad user table is a ConfigError with a plain message: %j', (text, message) => {
    expect(() => budgetConfigFromText(text, FILE)).toThrow(ConfigError);
    expect(() => budgetConfigFromText(text, FILE)).toThrow(message);
    // the general loader (cco run, cco config) says the same at start
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-budget-user-'));
    const file = path.join(dir, 'config.toml');
    fs.writeFileSync(file, text);
    expect(() => loadConfig({ file, env: {} })).toThrow(message.replace(FILE, file));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    [{ period: 'daily', usd: 5, user: 'alice', hard: true }, '[budgets.users."alice"]\ndaily_usd = 5\ndaily_hard = true\n'],
    [{ period: 'weekly', usd: 20, user: '*' }, '[budgets.per_user]\nweekly_usd = 20\nweekly_hard = false\n'],
  ] as const)('edits a user table: %j', (change, expected) => {
    expect(applyBudgetChangeToText('', change)).toBe(expected);
  });

  it('edits keep the other tables; clearing a user cap; a user and a project together, or a bad name, are refused', () => {
    const a = applyBudgetChangeToText(TEXT, { period: 'daily', usd: 7.5, user: 'alice', hard: false });
    expect(a).toContain('[budgets.users."alice"]\ndaily_usd = 7.5\ndaily_hard = false\n');
    const b = applyBudgetChangeToText(a, { period: 'daily', usd: 0, user: '*' });
    expect(budgetConfigFromText(b, FILE).rules.filter((r) => r.user)).toEqual([
      { period: 'daily', usd: 7.5, project: null, user: 'alice', hard: false },
      { period: 'monthly', usd: 100, project: null, user: 'bob@example.com', hard: false },
    ]);
    expect(() => applyBudgetChangeToText('', { period: 'daily', usd: 1, user: 'alice', project: '/p' })).toThrow(/a project or for a user, not both/);
    expect(() => applyBudgetChangeToText('', { period: 'daily', usd: 1, user: 'x'.repeat(65) })).toThrow(/at most 64 characters/);
  });
});
