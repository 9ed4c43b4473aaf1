/**
 * Setup for the renderer's jsdom tests. Testing Library's `findBy*`/`waitFor` give up after 1 s by default; on a
 * 2-core machine running the whole suite (or CI under load) a first render with its data requests can take longer.
 * Waiting longer never makes a wrong screen pass: it only stops a slow right one from failing. 5 s was not enough
 * once (CI at load 10: the dashboard's deferred breakdowns render after the chart), so 15 s; the renderer
 * project's test timeout (vitest.config.ts) leaves room for a few such waits in one test.
 */
import { configure } from '@testing-library/react';

configure({ asyncUtilTimeout: 15_000 });
