#!/usr/bin/env node
// The `cco` command from a source checkout: runs daemon/cli/main.ts through tsx. The standalone bundle
// (built from daemon/cli/main.ts) does the same without tsx.
import { register } from 'tsx/esm/api';

register();
const { runMain } = await import('../daemon/cli/main.ts');
runMain();
