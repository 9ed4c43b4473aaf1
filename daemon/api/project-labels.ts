/**
 * Project labels people can tell apart: each project path is shown by its shortest path suffix that no other
 * project in view shares (`~/a/my-app` and `~/b/my-app` read "a/my-app" and "b/my-app"; a lone `my-app`
 * stays "my-app"). The full path is for hover. Shared by the renderer and the CLI; pure, no imports.
 */

export const NO_PROJECT = '(none)';

function segments(path: string): string[] {
  return path.split(/[\\/]+/).filter(Boolean);
}

/**
 * A labeller for the given projects. Paths not in the set get their last segment. "(none)", '' and null read
 * "(none)". Paths that differ only in separators or a trailing slash are the same project.
 */
export function projectLabeler(projects: Iterable<string | null | undefined>): (project: string | null | undefined) => string {
  const distinct = new Map<string, string[]>(); // normalized → segments
  for (const p of projects) {
    if (!p || p === NO_PROJECT) continue;
    const segs = segments(p);
    if (segs.length > 0) distinct.set(segs.join('/'), segs);
  }
  // Count every suffix length of every distinct path once; a label is the shortest suffix counted once.
  const counts = new Map<string, number>();
  for (const segs of distinct.values()) {
    for (let n = 1; n <= segs.length; n++) {
      const suffix = segs.slice(-n).join('/');
      counts.set(suffix, (counts.get(suffix) ?? 0) + 1);
    }
  }
  const labels = new Map<string, string>();
  for (const [norm, segs] of distinct) {
    let label = norm;
    for (let n = 1; n <= segs.length; n++) {
      const suffix = segs.slice(-n).join('/');
      if (counts.get(suffix) === 1) {
        label = suffix;
        break;
      }
    }
    // A path that is a suffix of another (/a/app vs /x/a/app) has no unique suffix: show it whole.
    if (label === norm && counts.get(norm)! > 1) label = segs.length === 0 ? norm : `/${norm}`;
    labels.set(norm, label);
  }
  return (project) => {
    if (!project || project === NO_PROJECT) return NO_PROJECT;
    const segs = segments(project);
    if (segs.length === 0) return project;
    return labels.get(segs.join('/')) ?? segs[segs.length - 1]!;
  };
}
