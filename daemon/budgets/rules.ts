/**
 * Budget rules in config.toml: the global caps are ordinary `[budgets]` keys (schema.ts), per-project caps are
 * tables `[budgets.projects."<path>"]` with the same keys. Reading is lenient per project table (a bad one is
 * skipped with a warning); writing is a line-level edit that keeps every comment (config/edit.ts for the
 * global keys, the same approach here for project tables), validated as a whole before an atomic replace.
 * Team modes add user caps, `[budgets.users."<name>"]`, and a per-user default, `[budgets.per_user]` (rule
 * user EVERY_USER): strict, a bad value is a ConfigError (config/budget-tables.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { BUDGET_PERIODS, EVERY_USER, type BudgetChange, type BudgetPeriod, type BudgetRule } from '../../shared/contract.ts';
import { badUserName, PER_USER_HEADER, readUserBudgetTables, userHeader, type BudgetTable } from '../config/budget-tables.ts';
import { ConfigError } from '../config/errors.ts';
import { editConfigText, tomlValue } from '../config/edit.ts';
import { applyDocument, parseConfigText } from '../config/load.ts';
import { defaultConfig, fieldFor, type CcoConfig, type Value } from '../config/schema.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_USD = 1_000_000;

export interface BudgetConfig {
  rules: BudgetRule[];
  alerts: CcoConfig['alerts'];
}

function projectRules(project: string, table: unknown, file: string, warn: (m: string) => void): BudgetRule[] {
  if (!isObj(table)) {
    warn(`${file}: [budgets.projects.${JSON.stringify(project)}] must be a table; ignored`);
    return [];
  }
  const out: BudgetRule[] = [];
  for (const [key, v] of Object.entries(table)) {
    const m = /^(daily|weekly|monthly)_(usd|hard)$/.exec(key);
    const ok = m && (m[2] === 'usd' ? typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_USD : typeof v === 'boolean');
    if (!ok) warn(`${file}: [budgets.projects.${JSON.stringify(project)}] ${key} = ${JSON.stringify(v)} ignored (expected daily|weekly|monthly _usd (0..${MAX_USD}) or _hard (true/false))`);
  }
  for (const period of BUDGET_PERIODS) {
    const usd = table[`${period}_usd`];
    if (typeof usd !== 'number' || !(usd > 0) || usd > MAX_USD) continue;
    out.push({ period, usd, project, hard: table[`${period}_hard`] === true });
  }
  return out;
}

function userRules(user: string, table: BudgetTable): BudgetRule[] {
  const out: BudgetRule[] = [];
  for (const period of BUDGET_PERIODS) {
    const usd = table[`${period}_usd`];
    if (typeof usd === 'number' && usd > 0) out.push({ period, usd, project: null, user, hard: table[`${period}_hard`] === true });
  }
  return out;
}

/** Budget rules and alert settings from config.toml text (missing file = none). Throws ConfigError on a bad global key. */
export function budgetConfigFromText(text: string, file: string, warn: (m: string) => void = () => {}): BudgetConfig {
  const config = defaultConfig();
  const doc = text ? parseConfigText(text, file) : {};
  applyDocument(config, doc, file);
  const rules: BudgetRule[] = [];
  for (const period of BUDGET_PERIODS) {
    const usd = config.budgets[`${period}_usd`];
    if (usd > 0) rules.push({ period, usd, project: null, hard: config.budgets[`${period}_hard`] });
  }
  const projects = isObj(doc.budgets) ? doc.budgets.projects : undefined;
  if (projects !== undefined) {
    if (!isObj(projects)) warn(`${file}: budgets.projects must be a table of tables; ignored`);
    else for (const [p, table] of Object.entries(projects)) rules.push(...projectRules(p, table, file, warn));
  }
  const users = readUserBudgetTables(doc.budgets, file);
  for (const [name, table] of users.users) rules.push(...userRules(name, table));
  if (users.perUser) rules.push(...userRules(EVERY_USER, users.perUser));
  return { rules, alerts: config.alerts };
}

export function readBudgetConfig(file: string, warn: (m: string) => void = () => {}): BudgetConfig {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`${file}: cannot read the config file (${(err as NodeJS.ErrnoException).code})`);
  }
  return budgetConfigFromText(text, file, warn);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Sets `key = value` inside the table whose header line is exactly `header` (added at the end when missing). */
export function editTableKey(text: string, header: string, key: string, v: Value): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.length ? text.split(/\r?\n/) : [];
  const headerRe = new RegExp(`^\\s*${escapeRe(header)}\\s*(#.*)?$`);
  const keyRe = new RegExp(`^(\\s*${escapeRe(key)}\\s*=\\s*)([^#]*?)(\\s*#.*)?$`);
  let inTable = false;
  let last = -1;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (/^\s*\[/.test(line)) {
      inTable = headerRe.test(line);
      if (inTable) last = n;
      continue;
    }
    if (!inTable) continue;
    if (line.trim() !== '' && !line.trim().startsWith('#')) last = n;
    const m = keyRe.exec(line);
    if (m) {
      lines[n] = m[1] + tomlValue(v) + (m[3] ?? '');
      return lines.join(eol);
    }
  }
  if (last >= 0) {
    lines.splice(last + 1, 0, `${key} = ${tomlValue(v)}`);
    return lines.join(eol);
  }
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length) lines.push('');
  lines.push(header, `${key} = ${tomlValue(v)}`, '');
  return lines.join(eol);
}

export function projectHeader(project: string): string {
  return `[budgets.projects.${JSON.stringify(project)}]`;
}

/** The config text after one budget change (usd 0 clears it); comments and layout kept. */
export function applyBudgetChangeToText(text: string, change: BudgetChange): string {
  const { period } = change;
  if (!(BUDGET_PERIODS as readonly string[]).includes(period)) throw new ConfigError(`unknown budget period "${String(period)}"; use daily, weekly or monthly`);
  if (!(Number.isFinite(change.usd) && change.usd >= 0 && change.usd <= MAX_USD)) throw new ConfigError(`budget: ${change.usd} is not an amount in USD from 0 to ${MAX_USD}`);
  const usd = Math.round(change.usd * 100) / 100;
  const hard = change.usd === 0 ? false : (change.hard ?? false);
  if (change.user) {
    if (change.project) throw new ConfigError('budget: a budget is for a project or for a user, not both');
    const bad = change.user === EVERY_USER ? null : badUserName(change.user);
    if (bad) throw new ConfigError(`budget: ${bad}`);
    const h = change.user === EVERY_USER ? PER_USER_HEADER : userHeader(change.user);
    return editTableKey(editTableKey(text, h, `${period}_usd`, usd), h, `${period}_hard`, hard);
  }
  if (change.project) {
    const h = projectHeader(change.project);
    return editTableKey(editTableKey(text, h, `${period}_usd`, usd), h, `${period}_hard`, hard);
  }
  const after = editConfigText(text, fieldFor(`budgets.${period}_usd`)!, usd);
  return editConfigText(after, fieldFor(`budgets.${period}_hard`)!, hard);
}

/** Applies a change to the config file (validated as a whole, then an atomic replace); returns the new rules. */
export function applyBudgetChange(file: string, change: BudgetChange, warn: (m: string) => void = () => {}): BudgetConfig {
  let before = '';
  try {
    before = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (before) budgetConfigFromText(before, file); // the existing file must itself be valid before we touch it
  const after = applyBudgetChangeToText(before, change);
  const result = budgetConfigFromText(after, file, warn);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, after, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return result;
}

export function isBudgetPeriod(v: unknown): v is BudgetPeriod {
  return typeof v === 'string' && (BUDGET_PERIODS as readonly string[]).includes(v);
}
