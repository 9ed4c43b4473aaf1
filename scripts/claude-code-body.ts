/**
 * A Claude Code request body of a chosen size (bench:proxy's 1 MB cell): the shape Claude Code sends late in a
 * long session — a system prompt in text blocks (cache_control on the last), ~20 tools with JSON-schema
 * inputs, and a long `messages` history of user turns, assistant text + tool_use, and tool_result blocks
 * holding file contents and command output (cache_control on the last user turn). Deterministic for a seed.
 */
import { makeRng, randInt, type Rng } from '../test/fake-upstream/rng.ts';

const WORDS = ('the a to of and in is for that on with as it be by this are from or at an function const return if ' +
  'import export type interface await async string number boolean null undefined value request response proxy daemon store ' +
  'record cache header body stream token model usage cost project session user error test file path config').split(' ');

function prose(rng: Rng, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[randInt(rng, 0, WORDS.length - 1)]!);
  return out.join(' ') + '.';
}

/** Source-like text: indented lines of identifiers and punctuation, with the escapes JSON needs (quotes, \n). */
function code(rng: Rng, lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const indent = '  '.repeat(randInt(rng, 0, 4));
    const a = WORDS[randInt(rng, 0, WORDS.length - 1)]!;
    const b = WORDS[randInt(rng, 0, WORDS.length - 1)]!;
    out.push(`${String(i + 1).padStart(6)}\t${indent}const ${a}_${i} = ${b}("${a}", { ${b}: ${randInt(rng, 0, 9999)} });`);
  }
  return out.join('\n');
}

const TOOL_NAMES = ['Task', 'Bash', 'Glob', 'Grep', 'LS', 'ExitPlanMode', 'Read', 'Edit', 'MultiEdit', 'Write', 'NotebookEdit', 'WebFetch', 'TodoWrite', 'WebSearch', 'BashOutput', 'KillShell', 'SlashCommand', 'mcp__ide__getDiagnostics', 'mcp__ide__executeCode', 'Skill'];

function tools(rng: Rng) {
  return TOOL_NAMES.map((name) => ({
    name,
    description: prose(rng, 120),
    input_schema: {
      type: 'object',
      $schema: 'http://json-schema.org/draft-07/schema#',
      additionalProperties: false,
      required: ['input'],
      properties: {
        input: { type: 'string', description: prose(rng, 25) },
        path: { type: 'string', description: prose(rng, 15) },
        limit: { type: 'number', description: prose(rng, 10) },
      },
    },
  }));
}

/** A body of about `bytes` bytes (within one history turn, a few KB), `stream` as Claude Code sends it: true. */
export function claudeCodeBody(bytes: number, opts: { seed?: number; stream?: boolean; model?: string } = {}): string {
  const rng = makeRng('claude-code-body', opts.seed ?? 1);
  const messages: { role: 'user' | 'assistant'; content: unknown[] }[] = [
    { role: 'user', content: [{ type: 'text', text: `<system-reminder>\n${prose(rng, 400)}\n</system-reminder>` }, { type: 'text', text: prose(rng, 30) }] },
  ];
  const body = {
    model: opts.model ?? 'claude-sonnet-4-5',
    max_tokens: 32000,
    stream: opts.stream ?? true,
    metadata: { user_id: 'user_bench_account__session_00000000-0000-4000-8000-000000000000' },
    system: [
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
      { type: 'text', text: prose(rng, 2500), cache_control: { type: 'ephemeral' } },
    ],
    tools: tools(rng),
    messages,
  };
  let size = JSON.stringify(body).length;
  for (let turn = 0; size < bytes; turn++) {
    const id = `toolu_bench${String(turn).padStart(8, '0')}`;
    const assistant = { role: 'assistant' as const, content: [{ type: 'text', text: prose(rng, 40) }, { type: 'tool_use', id, name: TOOL_NAMES[turn % TOOL_NAMES.length]!, input: { input: `src/file-${turn}.ts`, limit: 2000 } }] };
    const result = turn % 3 === 2 ? prose(rng, 300) : code(rng, randInt(rng, 20, 80));
    const user = { role: 'user' as const, content: [{ type: 'tool_result', tool_use_id: id, content: result }] };
    messages.push(assistant, user);
    size += JSON.stringify(assistant).length + JSON.stringify(user).length + 2;
  }
  const last = messages[messages.length - 1]!.content[0] as Record<string, unknown>;
  last.cache_control = { type: 'ephemeral' };
  return JSON.stringify(body);
}
