/** A bad config file, environment variable or flag: one plain message naming where and what is allowed. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
