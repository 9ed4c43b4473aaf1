/**
 * The project of each Claude Code session, learnt from the requests that name it, so that the session's
 * side calls (the title call, haiku helpers, token counts) that carry no working directory take their
 * session's project instead of landing in "(none)".
 *
 * Claude Code sends a side call while its main request (whose system prompt names the working directory) is
 * still running; the main request's attribution is computed when its body has arrived, so it is known by the
 * time the side call is attributed. A session seen only through side calls keeps no project.
 *
 * Bounded: the most recently used sessions are kept (a Map in insertion order, re-inserted on use).
 */
import type { Attribution } from './attribution.ts';

export const MAX_SESSIONS = 2000;

export interface SessionProjects {
  /** Learns from `a` when it names both a session and a project; returns `a` with the session's project filled in when it had none. */
  complete(a: Attribution): Attribution;
  /** The project last seen for a session, or null. */
  projectOf(sessionId: string): string | null;
  readonly size: number;
}

export function createSessionProjects(max = MAX_SESSIONS): SessionProjects {
  const projects = new Map<string, string>();
  const touch = (session: string, project: string) => {
    projects.delete(session);
    projects.set(session, project);
    if (projects.size > max) projects.delete(projects.keys().next().value as string);
  };
  return {
    complete(a) {
      if (a.sessionId === null) return a;
      if (a.project !== null) {
        if (projects.get(a.sessionId) !== a.project) touch(a.sessionId, a.project);
        return a;
      }
      const project = projects.get(a.sessionId);
      if (project === undefined) return a;
      touch(a.sessionId, project);
      return { ...a, project };
    },
    projectOf: (sessionId) => projects.get(sessionId) ?? null,
    get size() {
      return projects.size;
    },
  };
}
