/**
 * Where Claude Code keeps transcripts, and the `.jsonl` files under those folders.
 *
 * Roots: `<dir>/projects` for every directory in CLAUDE_CONFIG_DIR (comma-separated), `~/.claude/projects`
 * and `~/.config/claude/projects` (all of them: a machine can have both, and the same folder reached twice is
 * walked once). The walk follows symlinks, remembers every directory by device + inode so a symlink loop is
 * seen (and counted) instead of followed forever, and turns every unreadable entry into a counted problem.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TranscriptFile {
  path: string;
  /** `dev:ino`: the file's identity (the key of its saved offset). */
  id: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

export interface WalkProblem {
  path: string;
  /** errno code (EACCES, ELOOP, ENOENT…) or 'symlink-loop'. */
  code: string;
}

export interface WalkResult {
  files: TranscriptFile[];
  problems: WalkProblem[];
  /** Roots that do not exist (normal: most machines have one of them). */
  missingRoots: string[];
}

/** The transcript folders Claude Code uses on this machine (existing or not). */
export function defaultRoots(env: NodeJS.ProcessEnv = process.env, home: string = env.HOME || env.USERPROFILE || os.homedir()): string[] {
  const roots: string[] = [];
  for (const dir of (env.CLAUDE_CONFIG_DIR ?? '').split(',')) {
    const d = dir.trim();
    if (d) roots.push(path.join(path.resolve(d), 'projects'));
  }
  roots.push(path.join(home, '.claude', 'projects'), path.join(home, '.config', 'claude', 'projects'));
  return [...new Set(roots)];
}

const YIELD_EVERY_MS = 8;
/** A listing is reused only if its folder had not changed for this long when it was read (coarse mtimes: FAT 2 s). */
const SETTLED_MS = 3000;

interface Listing {
  mtimeMs: number;
  ctimeMs: number;
  listedAt: number;
  /** The entries the walk looks at (symlinks, folders, `.jsonl` files), as readdir typed them. */
  entries: { name: string; link: boolean }[];
}

/**
 * Folder listings kept from one walk to the next (an unchanged rescan is mostly readdir, 31 % of its CPU).
 * A folder's listing is read again when its mtime or ctime moved (an entry added, removed or renamed), or when
 * it had changed less than SETTLED_MS before it was read (a change in the same clock tick would not move it).
 * Files are still stat'ed at every walk: their size is how new lines are found. Holds only the folders of
 * the last walk.
 */
export class DirListings {
  private byId = new Map<string, Listing>();
  private next = new Map<string, Listing>();

  /** Test hook: how many folders the last walk listed with readdir. */
  readdirs = 0;

  list(dir: string, id: string, st: fs.Stats): Listing['entries'] {
    const known = this.byId.get(id);
    if (known && known.mtimeMs === st.mtimeMs && known.ctimeMs === st.ctimeMs && known.listedAt - st.mtimeMs >= SETTLED_MS) {
      this.next.set(id, known);
      return known.entries;
    }
    const listedAt = Date.now();
    this.readdirs++;
    const entries = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isSymbolicLink() || e.isDirectory() || (e.isFile() && e.name.endsWith('.jsonl')))
      .map((e) => ({ name: e.name, link: e.isSymbolicLink() }));
    this.next.set(id, { mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, listedAt, entries });
    return entries;
  }

  /** Called at the start of a walk: what the previous walk saw becomes the reusable set. */
  startWalk(): void {
    if (this.next.size > 0) this.byId = this.next;
    this.next = new Map();
    this.readdirs = 0;
  }
}

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'EIO';

/** A folder the walk is inside, linked to its parent: loop detection without copying a set per folder. */
interface Ancestor {
  id: string;
  up: Ancestor | null;
}

/**
 * Every `*.jsonl` file under `roots`, sorted by path. Never throws for a file-system problem.
 *
 * An unchanged rescan of 1 GB of transcripts (6,679 files in 5,374 folders) is ~12,000 stat calls, which
 * are most of its cost; everything else per entry is kept small: paths are concatenated (not path.join),
 * the walk is a loop over an explicit stack (no promise per folder), ancestors are a linked list, and a
 * file's `dev:ino` key is made once.
 */
export async function walkTranscripts(roots: readonly string[], listings: DirListings = new DirListings()): Promise<WalkResult> {
  listings.startWalk();
  const files: TranscriptFile[] = [];
  const problems: WalkProblem[] = [];
  const missingRoots: string[] = [];
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();
  // Synchronous readdir/stat (several times faster than the thread-pool versions for cached metadata; an
  // unchanged rescan is all metadata), yielding to the event loop every few milliseconds so the proxy
  // sharing the thread is never held up longer than that.
  let slice = performance.now();
  let folders = 0;

  /** Depth first, in the order the recursive walk had: a folder's real subfolders by path, then symlinked ones. */
  const walkTree = async (rootDir: string, rootStat: fs.Stats): Promise<void> => {
    const stack: { dir: string; st: fs.Stats; up: Ancestor | null }[] = [{ dir: rootDir, st: rootStat, up: null }];
    for (let frame = stack.pop(); frame; frame = stack.pop()) {
      const { dir, st, up } = frame;
      const id = `${st.dev}:${st.ino}`;
      let loop = false;
      for (let a = up; a; a = a.up) if (a.id === id) loop = true;
      if (loop) {
        problems.push({ path: dir, code: 'symlink-loop' }); // a symlink back to a folder we are inside
        continue;
      }
      if (seenDirs.has(id)) continue; // the same folder reached another way: walked once
      seenDirs.add(id);
      let entries: Listing['entries'];
      try {
        entries = listings.list(dir, id, st);
      } catch (err) {
        problems.push({ path: dir, code: codeOf(err) });
        continue;
      }
      const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
      const inside: Ancestor = { id, up };
      const subdirs: { dir: string; st: fs.Stats; up: Ancestor; link: boolean }[] = [];
      for (const e of entries) {
        const p = prefix + e.name;
        const isJsonl = e.name.endsWith('.jsonl');
        // Plain directories and files need no stat to know what they are; symlinks do (the listing holds
        // only symlinks, folders and .jsonl files).
        let s: fs.Stats;
        try {
          s = fs.statSync(p);
        } catch (err) {
          if (e.link || isJsonl) problems.push({ path: p, code: codeOf(err) });
          continue;
        }
        if (s.isDirectory()) subdirs.push({ dir: p, st: s, up: inside, link: e.link });
        else if (isJsonl && s.isFile()) {
          const fid = `${s.dev}:${s.ino}`;
          if (seenFiles.has(fid)) continue; // the same file reached twice (a symlink to it)
          seenFiles.add(fid);
          files.push({ path: p, id: fid, dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs });
        }
      }
      if (subdirs.length > 1) subdirs.sort((x, y) => (x.link !== y.link ? (x.link ? 1 : -1) : x.dir < y.dir ? -1 : 1));
      for (let k = subdirs.length - 1; k >= 0; k--) stack.push(subdirs[k]!); // the first is popped first
      // The clock is read every 16 folders (a folder is a few µs; the read was ~4 % of an unchanged rescan).
      if ((++folders & 15) === 0 && performance.now() - slice >= YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    }
  };

  for (const root of roots) {
    let st: fs.Stats;
    try {
      st = fs.statSync(root);
    } catch (err) {
      if (codeOf(err) === 'ENOENT' || codeOf(err) === 'ENOTDIR') missingRoots.push(root);
      else problems.push({ path: root, code: codeOf(err) });
      continue;
    }
    if (st.isDirectory()) await walkTree(root, st);
    else if (st.isFile() && root.endsWith('.jsonl')) files.push({ path: root, id: `${st.dev}:${st.ino}`, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
    else missingRoots.push(root);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, problems, missingRoots };
}
