import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirListings, defaultRoots, walkTranscripts } from './sources.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-sources-'));
});
afterEach(() => {
  fs.chmodSync(dir, 0o700);
  fs.rmSync(dir, { recursive: true, force: true });
});

const touch = (p: string, text = '{}\n'): string => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
};

describe('defaultRoots', () => {
  it('every CLAUDE_CONFIG_DIR entry, then ~/.claude and ~/.config/claude, each once', () => {
    expect(defaultRoots({ CLAUDE_CONFIG_DIR: '/a, /b/,,/a' }, '/home/u')).toEqual([
      '/a/projects', '/b/projects', '/home/u/.claude/projects', '/home/u/.config/claude/projects',
    ]);
    expect(defaultRoots({}, '/home/u')).toEqual(['/home/u/.claude/projects', '/home/u/.config/claude/projects']);
  });
});

describe('walkTranscripts', () => {
  it('an unchanged rescan reuses settled folder listings; a new file, a grown file and a fresh folder change are seen', async () => {
    const root = path.join(dir, 'projects');
    const a = touch(path.join(root, '-home-u-p', 's1.jsonl'));
    const b = touch(path.join(root, '-home-u-p', 's1', 'subagents', 'agent-1.jsonl'));
    const subagents = path.dirname(b);
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const d of [root, path.dirname(a), path.dirname(subagents), subagents]) fs.utimesSync(d, hourAgo, hourAgo);
    const listings = new DirListings();
    expect((await walkTranscripts([root], listings)).files.map((f) => f.path)).toEqual([a, b].sort());
    expect(listings.readdirs).toBe(4);

    fs.appendFileSync(a, '{"more":1}\n'); // a file growing does not touch its folder
    const again = await walkTranscripts([root], listings);
    expect(listings.readdirs).toBe(0);
    expect(again.files.map((f) => [f.path, f.size])).toEqual([[a, 14], [b, 3]]);

    const c = touch(path.join(subagents, 'agent-2.jsonl')); // the folder's mtime moves: listed again
    expect((await walkTranscripts([root], listings)).files.map((f) => f.path)).toEqual([a, b, c].sort());
    expect(listings.readdirs).toBe(1);
    const d = touch(path.join(subagents, 'agent-3.jsonl')); // a change in the same clock tick: not settled, listed again
    expect((await walkTranscripts([root], listings)).files.map((f) => f.path)).toEqual([a, b, c, d].sort());
    expect(listings.readdirs).toBe(1);
  });

  it('a rescan with kept listings sees every change a fresh walk sees: growth, truncation, rotation, rename, deletion, new files and folders, links', async () => {
    const root = path.join(dir, 'projects');
    const p = path.join(root, '-home-u-p');
    const s1 = touch(path.join(p, 's1.jsonl'), 'a\n');
    const s2 = touch(path.join(p, 's2.jsonl'), 'bb\n');
    const agent = touch(path.join(p, 's1', 'subagents', 'agent-1.jsonl'), 'ccc\n');
    const other = touch(path.join(root, '-home-u-q', 's3.jsonl'), 'dddd\n');
    const hourAgo = new Date(Date.now() - 3_600_000);
    /** Every folder settled (changed an hour ago), so the kept listings are reused unless the change moves them. */
    const settle = (): void => {
      const walk = (d: string): void => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
        fs.utimesSync(d, hourAgo, hourAgo);
      };
      walk(root);
    };
    settle();
    const listings = new DirListings();
    const view = (r: Awaited<ReturnType<typeof walkTranscripts>>) => ({
      files: r.files.map((f) => ({ path: f.path, id: f.id, size: f.size, mtimeMs: f.mtimeMs })),
      problems: r.problems,
    });
    /** The kept-listings walk must equal a walk that keeps nothing, and hold each file once. */
    const same = async (what = ''): Promise<void> => {
      const kept = await walkTranscripts([root], listings);
      expect(view(kept), what).toEqual(view(await walkTranscripts([root])));
      expect(new Set(kept.files.map((f) => f.id)).size, what).toBe(kept.files.length);
    };
    await same();
    await same();
    expect(listings.readdirs).toBe(0);

    const changes: [string, () => void][] = [
      ['a file grows (its folder does not move)', () => fs.appendFileSync(agent, 'more\n')],
      ['a file is truncated', () => fs.truncateSync(s2, 1)],
      ['a file is rotated: replaced by another of the same size', () => {
        const tmp = path.join(dir, 'rotated');
        fs.writeFileSync(tmp, 'x\n');
        fs.renameSync(tmp, s1);
      }],
      ['a file only touched', () => fs.utimesSync(other, new Date(), new Date(Date.now() - 60_000))],
      ['a file is renamed', () => fs.renameSync(s2, path.join(p, 's2b.jsonl'))],
      ['a file is deleted', () => fs.rmSync(other)],
      ['a file is added to a settled folder', () => touch(path.join(p, 's1', 'subagents', 'agent-2.jsonl'))],
      ['a folder with a file is added', () => touch(path.join(p, 's4', 'subagents', 'agent-3.jsonl'))],
      ['a folder is renamed', () => fs.renameSync(path.join(p, 's4'), path.join(p, 's5'))],
      ['a folder is replaced by another of the same name', () => {
        fs.rmSync(path.join(p, 's1'), { recursive: true });
        touch(path.join(p, 's1', 'subagents', 'agent-9.jsonl'), 'new\n');
      }],
      ['a symlink to a folder already walked', () => fs.symlinkSync(p, path.join(root, 'alias'))],
      ['a symlink to a file already walked', () => fs.symlinkSync(s1, path.join(root, 'link.jsonl'))],
      ['a hard link to a file', () => fs.linkSync(path.join(p, 's1', 'subagents', 'agent-9.jsonl'), path.join(p, 'hard.jsonl'))],
      ['the links are removed', () => {
        fs.rmSync(path.join(root, 'alias'));
        fs.rmSync(path.join(root, 'link.jsonl'));
      }],
    ];
    for (const [what, change] of changes) {
      change();
      await same(what);
      settle(); // the next change starts from settled listings again
      await same();
    }
  });

  it('finds session and subagent transcripts, only .jsonl, and reports missing roots', async () => {
    const root = path.join(dir, 'projects');
    const a = touch(path.join(root, '-home-u-p', 's1.jsonl'));
    const b = touch(path.join(root, '-home-u-p', 's1', 'subagents', 'agent-1.jsonl'));
    touch(path.join(root, '-home-u-p', 'notes.txt'));
    const r = await walkTranscripts([root, path.join(dir, 'nope')]);
    expect(r.files.map((f) => f.path)).toEqual([a, b].sort());
    expect(r.files[0]!.size).toBe(3);
    expect(r.missingRoots).toEqual([path.join(dir, 'nope')]);
    expect(r.problems).toEqual([]);
  });

  it('counts a symlink loop and a broken link instead of failing; a folder reached twice is walked once', async () => {
    const root = path.join(dir, 'projects');
    const f = touch(path.join(root, 'p', 's.jsonl'));
    fs.symlinkSync(path.join(root, 'p'), path.join(root, 'p', 'loop'));
    fs.symlinkSync(path.join(root, 'p'), path.join(root, 'alias'));
    fs.symlinkSync(path.join(root, 'self.jsonl'), path.join(root, 'self.jsonl'));
    fs.symlinkSync(path.join(dir, 'gone'), path.join(root, 'dangling.jsonl'));
    const r = await walkTranscripts([root, root]);
    expect(r.files.map((x) => x.path)).toEqual([f]);
    expect(r.problems.map((p) => [path.basename(p.path), p.code]).sort()).toEqual([
      ['dangling.jsonl', 'ENOENT'], ['loop', 'symlink-loop'], ['self.jsonl', 'ELOOP'],
    ]);
  });

  it.skipIf(process.getuid?.() === 0)('counts an unreadable folder (EACCES)', async () => {
    const root = path.join(dir, 'projects');
    touch(path.join(root, 'locked', 's.jsonl'));
    fs.chmodSync(path.join(root, 'locked'), 0);
    const r = await walkTranscripts([root]);
    fs.chmodSync(path.join(root, 'locked'), 0o700);
    expect(r.problems).toEqual([{ path: path.join(root, 'locked'), code: 'EACCES' }]);
  });
});
