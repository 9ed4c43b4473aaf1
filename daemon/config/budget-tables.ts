/**
 * Per-user budget tables in config.toml (team modes): `[budgets.users."<name>"]` for one user and
 * `[budgets.per_user]` for every user without a cap of their own for that period. Their keys are the global
 * `[budgets]` keys (daily|weekly|monthly _usd / _hard), checked by the same field rules (schema.ts), and a bad
 * one stops the load with a ConfigError naming the file, the table, the key and what is allowed — a hard cap
 * on a user must never be dropped silently. The general loader (load.ts) and the budget rules
 * (daemon/budgets/rules.ts) both read them through here.
 */
import { ConfigError } from './errors.ts';
import { allowedText, checkValue, FIELDS, type FieldSpec } from './schema.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The keys of a budget table: those of `[budgets]`. */
const TABLE_FIELDS: readonly FieldSpec[] = FIELDS.filter((f) => f.section === 'budgets');
const MAX_NAME = 64;

/** One user budget table's values (only the keys it sets). */
export type BudgetTable = Partial<Record<string, number | boolean>>;

export interface UserBudgetTables {
  /** `[budgets.per_user]`, or null when absent. */
  perUser: BudgetTable | null;
  /** `[budgets.users."<name>"]`, in file order. */
  users: [string, BudgetTable][];
}

export function userHeader(user: string): string {
  return `[budgets.users.${JSON.stringify(user)}]`;
}
export const PER_USER_HEADER = '[budgets.per_user]';

/** Why a user name cannot have a budget, or null when it can. */
export function badUserName(name: string): string | null {
  if (name === '' || name.trim() !== name) return 'a user name must be non-empty, without spaces around it';
  if (name.length > MAX_NAME) return `a user name has at most ${MAX_NAME} characters`;
  if ([...name].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) return 'a user name has no control characters';
  if (name === '*') return 'use [budgets.per_user] for a budget of every user';
  return null;
}

function checkTable(header: string, table: unknown, file: string): BudgetTable {
  if (!isObj(table)) throw new ConfigError(`${file}: ${header.slice(1, -1)} must be a table (${header} with ${TABLE_FIELDS.map((f) => f.key).join(', ')})`);
  const out: BudgetTable = {};
  for (const [key, raw] of Object.entries(table)) {
    const f = TABLE_FIELDS.find((x) => x.key === key);
    if (!f) throw new ConfigError(`${file}: ${header} unknown key "${key}"; allowed keys: ${TABLE_FIELDS.map((x) => x.key).join(', ')}`);
    const r = checkValue(f, raw);
    if (!r.ok) throw new ConfigError(`${file}: ${header} ${key} = ${JSON.stringify(raw)} is not allowed; expected ${allowedText(f)}`);
    out[key] = r.value as number | boolean;
  }
  return out;
}

/** The `users` and `per_user` parts of a parsed `[budgets]` table; throws ConfigError for anything wrong in them. */
export function readUserBudgetTables(budgets: unknown, file: string): UserBudgetTables {
  const result: UserBudgetTables = { perUser: null, users: [] };
  if (!isObj(budgets)) return result;
  if (budgets.per_user !== undefined) result.perUser = checkTable(PER_USER_HEADER, budgets.per_user, file);
  const users = budgets.users;
  if (users === undefined) return result;
  if (!isObj(users)) throw new ConfigError(`${file}: budgets.users must hold one table per user, e.g. [budgets.users."alice"] with daily_usd = 10`);
  for (const [name, table] of Object.entries(users)) {
    const bad = badUserName(name);
    if (bad) throw new ConfigError(`${file}: ${userHeader(name)}: ${bad}`);
    result.users.push([name, checkTable(userHeader(name), table, file)]);
  }
  return result;
}
