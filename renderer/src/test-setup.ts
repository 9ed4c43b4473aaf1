/**
 * Setup for the renderer's jsdom tests. Testing Library's `findBy*`/`waitFor` give up after 1 s by default; on a
 * 2-core machine running the whole suite (or CI under load) a first render with its data requests can take longer.
 * Waiting longer never makes a wrong screen pass: it only stops a slow right one from failing.
 */
import { configure } from '@testing-library/react';

configure({ asyncUtilTimeout: 5000 });
