/**
 * Offline lint for .github/workflows/*.yml: the supply-chain and permission rules CCO holds itself to.
 *
 * - every `uses:` is a local action or pinned to a full 40-hex commit SHA (with a `# vX` comment);
 * - a top-level `permissions: {}` (deny by default) and explicit, minimal `permissions` on every job;
 * - no `pull_request_target`, no `write-all`, no `id-token: write` unless asked for;
 * - `actions/checkout` with `persist-credentials: false`;
 * - no `${{ secrets.* }}`, `${{ github.event.* }}` or `${{ github.head_ref }}` inside `run:` (use env);
 * - every job has `timeout-minutes`.
 *
 * CLI: `tsx scripts/lint-workflows.ts [dir]` prints problems and exits 1 when there are any.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import yaml from 'js-yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const PINNED = /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/;
const ALLOWED_WRITE = new Set(['contents']);
const UNSAFE_IN_RUN = [/\$\{\{\s*secrets\./, /\$\{\{\s*github\.event\./, /\$\{\{\s*github\.head_ref/];

export interface Step {
  uses?: string;
  run?: string;
  with?: Obj;
}

/** Steps of every job, with the job id. */
export function jobsOf(doc: Obj): Array<[string, Obj]> {
  const jobs = doc.jobs;
  return isObj(jobs) ? Object.entries(jobs).filter((e): e is [string, Obj] => isObj(e[1])) : [];
}

export function stepsOf(job: Obj): Step[] {
  return Array.isArray(job.steps) ? (job.steps.filter(isObj) as Step[]) : [];
}

function checkPermissions(where: string, perms: Json | undefined, problems: string[]): void {
  if (perms === 'write-all' || perms === 'read-all') {
    problems.push(`${where}: permissions "${perms}" is too broad`);
    return;
  }
  if (!isObj(perms)) {
    problems.push(`${where}: permissions must be a map (use {} for none)`);
    return;
  }
  for (const [scope, level] of Object.entries(perms)) {
    if (level === 'write' && !ALLOWED_WRITE.has(scope)) problems.push(`${where}: "${scope}: write" is not needed by CCO's workflows`);
  }
}

export function lintWorkflow(text: string, file: string): string[] {
  const problems: string[] = [];
  let doc: Json;
  try {
    doc = yaml.load(text) as Json;
  } catch (err) {
    return [`${file}: YAML does not parse: ${(err as Error).message.split('\n')[0]}`];
  }
  if (!isObj(doc)) return [`${file}: not a workflow`];

  const on = doc.on ?? doc.true; // YAML 1.1 reads a bare `on` key as true
  const triggers = typeof on === 'string' ? [on] : Array.isArray(on) ? on : isObj(on) ? Object.keys(on) : [];
  if (triggers.includes('pull_request_target')) problems.push(`${file}: pull_request_target runs untrusted code with secrets`);

  if (!('permissions' in doc)) problems.push(`${file}: no top-level permissions (use permissions: {})`);
  else if (!isObj(doc.permissions) || Object.keys(doc.permissions).length > 0) problems.push(`${file}: top-level permissions must be {} (grant per job)`);

  const jobs = jobsOf(doc);
  if (jobs.length === 0) problems.push(`${file}: no jobs`);
  for (const [id, job] of jobs) {
    const where = `${file}: job ${id}`;
    if (!('permissions' in job)) problems.push(`${where}: no permissions block`);
    else checkPermissions(where, job.permissions, problems);
    if (typeof job['timeout-minutes'] !== 'number') problems.push(`${where}: no timeout-minutes`);
    if (typeof job.uses === 'string' && !job.uses.startsWith('./') && !PINNED.test(job.uses)) problems.push(`${where}: reusable workflow "${job.uses}" is not pinned to a commit SHA`);
    stepsOf(job).forEach((step, i) => {
      const at = `${where} step ${i + 1}`;
      if (typeof step.uses === 'string') {
        if (!step.uses.startsWith('./') && !PINNED.test(step.uses)) problems.push(`${at}: "${step.uses}" is not pinned to a full commit SHA`);
        if (step.uses.startsWith('actions/checkout@') && step.with?.['persist-credentials'] !== false) {
          problems.push(`${at}: actions/checkout needs persist-credentials: false`);
        }
      }
      if (typeof step.run === 'string') {
        for (const pattern of UNSAFE_IN_RUN) {
          if (pattern.test(step.run)) problems.push(`${at}: run: interpolates ${pattern.source.replace(/\\/g, '')}; pass it through env instead`);
        }
      }
    });
  }

  // the `# vX` comment after a pinned SHA tells a reader (and Dependabot) which release it is
  text.split('\n').forEach((line, n) => {
    const m = /^\s*-?\s*uses:\s*([^\s#]+)(.*)$/.exec(line);
    if (m && PINNED.test(m[1]!) && !/#\s*v\d/.test(m[2] ?? '')) problems.push(`${file}:${n + 1}: pinned action without a "# vX.Y.Z" comment`);
  });
  return problems;
}

export function lintWorkflowDir(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((f) => lintWorkflow(readFileSync(join(dir, f), 'utf8'), f));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = resolve(process.argv[2] ?? '.github/workflows');
  const problems = lintWorkflowDir(dir);
  for (const p of problems) process.stderr.write(`${p}\n`);
  process.stdout.write(problems.length === 0 ? `workflows in ${dir}: ok\n` : '');
  process.exit(problems.length === 0 ? 0 : 1);
}
