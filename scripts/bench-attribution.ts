/**
 * npm run bench:attribution — µs per call of topLevelFields (daemon/proxy/json-fields.ts, how attribution
 * reads a request body over 4 KB) on a 1 MB Claude Code body (scripts/claude-code-body.ts) and on a 2 KB
 * request, in the same run, against:
 *  - the floor of its method: one Buffer.indexOf per `"` in the body (every string must be crossed to know
 *    where the top-level members end, and no other scan reads the body at fewer calls), and
 *  - JSON.parse of the whole body (what attribution did before topLevelFields);
 * and attributeRequest on both bodies. Prints the median of 15 rounds, the ratios and the load average.
 * Not a test: numbers only.
 */
import { loadavg } from 'node:os';
import { attributeRequest } from '../daemon/proxy/attribution.ts';
import { topLevelFields } from '../daemon/proxy/json-fields.ts';
import { claudeCodeBody } from './claude-code-body.ts';

const KEYS: ReadonlySet<string> = new Set(['model', 'stream', 'metadata', 'system']);

/** Median µs per call over `rounds` rounds of `calls` calls each, after one warm-up round. */
function time(fn: () => unknown, calls: number, rounds = 15): number {
  for (let i = 0; i < calls; i++) fn();
  const per: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    per.push(Number(process.hrtime.bigint() - t0) / 1000 / calls);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)]!;
}

function quotes(body: Buffer): number {
  let n = 0;
  for (let at = body.indexOf(0x22); at !== -1; at = body.indexOf(0x22, at + 1)) n++;
  return n;
}

/** A small request, as an SDK script sends one: a short system prompt and one user turn, ~2 KB. */
const small = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  stream: true,
  metadata: { user_id: 'user_bench_account__session_00000000-0000-4000-8000-000000000000' },
  system: 'You are a careful assistant.\nPrimary working directory: /home/dev/repo\n',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Summarise this file:\n' + 'const x = "a \\"quoted\\" value";\n'.repeat(52) }] }],
});

const cells = [
  { name: '1 MB', body: Buffer.from(claudeCodeBody(1024 * 1024)), calls: 20 },
  { name: '2 KB', body: Buffer.from(small), calls: 20_000 },
];
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`);
const headers = { 'content-type': 'application/json' };
for (const { name, body, calls } of cells) {
  if (!topLevelFields(body, KEYS)?.model) throw new Error(`${name}: topLevelFields found no model`);
  const scan = time(() => topLevelFields(body, KEYS), calls);
  const floor = time(() => quotes(body), calls);
  const parse = time(() => JSON.parse(body.toString('utf8')), calls);
  const attribute = time(() => attributeRequest('POST', '/v1/messages', headers, body), calls);
  console.log(
    `${name} (${body.length} B, ${quotes(body)} quotes): topLevelFields ${scan.toFixed(1)} µs, indexOf-per-quote floor ${floor.toFixed(1)} µs ` +
      `(scan/floor ${(scan / floor).toFixed(2)}x), JSON.parse ${parse.toFixed(1)} µs (parse/scan ${(parse / scan).toFixed(2)}x), attributeRequest ${attribute.toFixed(1)} µs`,
  );
}
