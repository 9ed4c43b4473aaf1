/**
 * Entry for a separate, tiny statusline bundle (`cco-statusline.mjs`): Claude Code runs the status line
 * command on every update, so it should not parse the whole CLI. Same output as `cco statusline`.
 */
import { processIo } from './common.ts';
import { spawnRefresh, statuslineCommand } from './statusline.ts';

statuslineCommand(process.argv.slice(2), processIo(), undefined, spawnRefresh).then(
  (code) => process.exit(code),
  () => {
    process.stdout.write('CCO: …\n');
    process.exit(0);
  },
);
