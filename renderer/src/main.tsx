/**
 * Entry chunk, kept small on purpose: boot.ts starts the view's first requests as soon as this chunk is
 * evaluated; React and the app (mount.tsx, ~240 kB) are fetched and compiled meanwhile. With React in the
 * entry chunk, the requests could only start after the whole chunk was parsed and run (30–60 ms measured).
 */
import './boot.ts';
import './styles.css';

void import('./mount.tsx');
