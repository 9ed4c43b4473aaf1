import { createRequire } from 'node:module';

/** The package version (date-based, YYYY.MDD.N). Bundles may inject CCO_VERSION at build time. */
declare const __CCO_VERSION__: string | undefined;

function readVersion(): string {
  if (typeof __CCO_VERSION__ === 'string') return __CCO_VERSION__;
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  } catch {
    return '0.0.0-dev';
  }
}

export const VERSION = readVersion();
