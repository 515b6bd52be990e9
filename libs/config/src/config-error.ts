/** One bad environment variable: its name and what is wrong with it. */
export interface ConfigIssue {
  readonly key: string;
  readonly message: string;
}

/** Thrown at boot when the environment does not match the schema; lists every bad key at once. */
export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG_INVALID';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((i) => `  ${i.key}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
