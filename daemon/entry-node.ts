/**
 * Plain-Node host for the daemon: `npm run daemon` runs this. It is `cco run` (config file, environment,
 * flags, stored key, file log, PID file, rate limits), so there is one way to start the daemon.
 */
import { runMain } from './cli/main.ts';

runMain(['run', ...process.argv.slice(2)]);
