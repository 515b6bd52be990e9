import { runService } from '@sdl/server';
import { buildApp } from './app.js';
import { BillingLeaderConfigSchema, checkBillingLeaderConfig } from './config.js';

await runService({
  name: 'billing-leader',
  schema: BillingLeaderConfigSchema,
  env: process.env,
  check: checkBillingLeaderConfig,
  build: async ({ config, logger, metrics }) => buildApp({ config, logger, metrics }),
});
