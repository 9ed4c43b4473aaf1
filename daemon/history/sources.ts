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

/** One walk's view of a file; the next walk hands out the same object while the file's stat has not moved. */
export interface TranscriptFile {
  readonly path: string;
  /** `dev:ino`: the file's identity (the key of its saved offset). */
  readonly id: string;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
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

/** An entry of a folder the walk looks at: a symlink, a folder or a `.jsonl` file, as readdir typed it. */
interface Entry {
  /** Its full path, made once when the folder is listed. */
  readonly path: string;
  readonly link: boolean;
  readonly jsonl: boolean;
  /** The transcript the last walk found here: handed out again while its stat has not moved. */
  file: TranscriptFile | null;
  /** The folder the last walk found here (checked against the stat's device and inode before it is used). */
  sub: Listing | null;
}

/** A folder as it was last listed: one object per folder (device + inode) while the folder is walked. */
interface Listing {
  /** The path it was listed under (its entries' paths start with it). */
  dir: string;
  readonly dev: number;
  readonly ino: number;
  /** `dev:ino`, made once. */
  readonly id: string;
  mtimeMs: number;
  ctimeMs: number;
  listedAt: number;
  /** Real folders and files by path, then symlinks by path: the order the walk goes into subfolders. */
  entries: Entry[];
  /** The last walk that came through this folder: a folder reached again in the same walk is not walked again. */
  walk: number;
  /** Forgotten (not walked by the last walk): an entry still pointing at it must not use it. */
  dropped: boolean;
}

/**
 * Folder listings kept from one walk to the next (readdir was 31 % of an unchanged rescan). A folder is
 * listed again when its mtime or ctime moved (an entry added, removed or renamed), when it had changed less
 * than SETTLED_MS before it was listed (a change in the same clock tick would not move it), or when it is
 * reached under another path. Files are still stat'ed at every walk: their size and identity are how new
 * lines, truncation and rotation are found; a file whose stat has not moved is handed out as the same
 * TranscriptFile. A listing's entries point at the subfolders' listings, so an unchanged rescan finds every
 * listing without a lookup, and the mark of the walk on each listing is how a folder reached twice is
 * walked once (no set of keys per walk). Holds the folders of the last walk only.
 */
export class DirListings {
  private byId = new Map<string, Listing>();
  private walkNo = 0;
  private listed = 0;

  /** Test hook: how many folders the last walk listed with readdir. */
  readdirs = 0;

  /** Called at the start of a walk. */
  startWalk(): number {
    this.listed = 0;
    this.readdirs = 0;
    return ++this.walkNo;
  }

  /** The listing of the folder with this stat, if one is held (`hint`: the one its path gave last time). */
  find(st: fs.Stats, hint: Listing | null): Listing | undefined {
    if (hint !== null && hint.ino === st.ino && hint.dev === st.dev && !hint.dropped) return hint;
    return this.byId.get(`${st.dev}:${st.ino}`);
  }

  /**
   * The folder's listing for this walk: `known` (from `find`) when it still holds, else read now (into the
   * same object, so entries pointing at it stay right). Throws as readdir does; the folder then counts as
   * walked (its problem is counted once).
   */
  list(dir: string, st: fs.Stats, known: Listing | undefined): Listing {
    this.listed++;
    if (known !== undefined) {
      known.walk = this.walkNo;
      if (known.dir === dir && known.mtimeMs === st.mtimeMs && known.ctimeMs === st.ctimeMs && known.listedAt - st.mtimeMs >= SETTLED_MS) return known;
    }
    let l = known;
    if (l === undefined) {
      l = { dir, dev: st.dev, ino: st.ino, id: `${st.dev}:${st.ino}`, mtimeMs: 0, ctimeMs: 0, listedAt: -Infinity, entries: [], walk: this.walkNo, dropped: false };
      this.byId.set(l.id, l);
    }
    const before = new Map<string, Entry>();
    if (l.dir === dir) for (const e of l.entries) before.set(e.path, e);
    l.dir = dir;
    l.mtimeMs = st.mtimeMs;
    l.ctimeMs = st.ctimeMs;
    l.listedAt = -Infinity;
    l.entries = [];
    this.readdirs++;
    const listedAt = Date.now();
    const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
    const entries: Entry[] = [];
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const link = d.isSymbolicLink();
      const jsonl = d.name.endsWith('.jsonl');
      if (!link && !d.isDirectory() && !(jsonl && d.isFile())) continue;
      const p = prefix + d.name;
      const had = before.get(p);
      entries.push({ path: p, link, jsonl, file: had?.file ?? null, sub: had?.sub ?? null });
    }
    entries.sort((x, y) => (x.link !== y.link ? (x.link ? 1 : -1) : x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    l.entries = entries;
    l.listedAt = listedAt;
    return l;
  }

  /** Called at the end of a walk: forgets the folders it did not come through (when there are any). */
  endWalk(): void {
    if (this.listed === this.byId.size) return;
    for (const [id, l] of this.byId) {
      if (l.walk !== this.walkNo) {
        l.dropped = true;
        this.byId.delete(id);
      }
    }
  }
}

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'EIO';

/** A folder the walk is inside, linked to its parent: loop detection without a set per folder. */
interface Ancestor {
  listing: Listing;
  up: Ancestor | null;
}

/** A folder still to walk: its path, its stat, the folders it is inside, the entry it was reached by. */
interface Frame {
  dir: string;
  st: fs.Stats;
  up: Ancestor | null;
  from: Entry | null;
}

/**
 * Every `*.jsonl` file under `roots`, sorted by path. Never throws for a file-system problem.
 *
 * An unchanged rescan of 1 GB of transcripts (6,679 files in 5,374 folders) is ~12,000 stat calls, which
 * are most of its cost; everything else per entry is kept small: a reused listing holds its entries' paths
 * in walk order, the subfolders' listings and the TranscriptFile each file gave (handed out again while its
 * stat has not moved); the walk is a loop over an explicit stack (no promise per folder); ancestors are a
 * linked list; a folder reached twice is told by its listing's mark, and a file reached twice (only possible
 * through a symlink or a hard link) by one pass at the end, made only when the walk met one.
 */
export async function walkTranscripts(roots: readonly string[], listings: DirListings = new DirListings()): Promise<WalkResult> {
  const walkNo = listings.startWalk();
  let files: TranscriptFile[] = [];
  const problems: WalkProblem[] = [];
  const missingRoots: string[] = [];
  /** A file may have been reached twice: a symlink to a file, a hard link, a root that is a file. */
  let twice = false;
  // Synchronous readdir/stat (several times faster than the thread-pool versions for cached metadata; an
  // unchanged rescan is all metadata), yielding to the event loop every few milliseconds so the proxy
  // sharing the thread is never held up longer than that.
  let slice = performance.now();
  let folders = 0;

  /** Depth first, in the order the recursive walk had: a folder's real subfolders by path, then symlinked ones. */
  const walkTree = async (rootDir: string, rootStat: fs.Stats): Promise<void> => {
    const stack: Frame[] = [{ dir: rootDir, st: rootStat, up: null, from: null }];
    for (let frame = stack.pop(); frame; frame = stack.pop()) {
      const { dir, st, up, from } = frame;
      const known = listings.find(st, from === null ? null : from.sub);
      if (known !== undefined) {
        let loop = false;
        for (let a = up; a; a = a.up) if (a.listing === known) loop = true;
        if (loop) {
          problems.push({ path: dir, code: 'symlink-loop' }); // a symlink back to a folder we are inside
          continue;
        }
        if (known.walk === walkNo) continue; // the same folder reached another way: walked once
      }
      let listing: Listing;
      try {
        listing = listings.list(dir, st, known);
      } catch (err) {
        problems.push({ path: dir, code: codeOf(err) });
        continue;
      }
      if (from !== null) from.sub = listing;
      const inside: Ancestor = { listing, up };
      const firstSub = stack.length;
      for (const e of listing.entries) {
        // Plain directories and files need no stat to know what they are; symlinks do (the listing holds
        // only symlinks, folders and .jsonl files).
        let s: fs.Stats;
        try {
          s = fs.statSync(e.path);
        } catch (err) {
          if (e.link || e.jsonl) problems.push({ path: e.path, code: codeOf(err) });
          continue;
        }
        if (s.isDirectory()) stack.push({ dir: e.path, st: s, up: inside, from: e });
        else if (e.jsonl && s.isFile()) {
          let f = e.file;
          if (f === null || f.ino !== s.ino || f.size !== s.size || f.mtimeMs !== s.mtimeMs || f.dev !== s.dev) {
            f = e.file = { path: e.path, id: f !== null && f.ino === s.ino && f.dev === s.dev ? f.id : `${s.dev}:${s.ino}`, dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
          }
          if (e.link || s.nlink > 1) twice = true;
          files.push(f);
        }
      }
      // Subfolders were pushed in walk order: reversed, the first is popped first.
      for (let i = firstSub, j = stack.length - 1; i < j; i++, j--) {
        const t = stack[i]!;
        stack[i] = stack[j]!;
        stack[j] = t;
      }
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
    else if (st.isFile() && root.endsWith('.jsonl')) {
      files.push({ path: root, id: `${st.dev}:${st.ino}`, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
      twice = true;
    } else missingRoots.push(root);
  }
  listings.endWalk();
  if (twice) {
    // The first path a file was reached by is the one kept, as the walk order gives it.
    const seen = new Set<string>();
    files = files.filter((f) => !seen.has(f.id) && seen.add(f.id) !== undefined);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, problems, missingRoots };
}
