export { ConfigError, type ConfigIssue } from './config-error.js';
export { envName, loadConfig, type ConfigCheck } from './load-config.js';
export { FailModeSchema, type FailMode } from './fail-mode.js';
