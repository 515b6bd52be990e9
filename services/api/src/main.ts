import { runService } from '@sdl/server';
import { buildApp } from './app.js';
import { ApiConfigSchema, checkApiConfig } from './config.js';

await runService({
  name: 'api',
  schema: ApiConfigSchema,
  env: process.env,
  check: checkApiConfig,
  build: async ({ config, logger, metrics, accessLog }) => buildApp({ config, logger, metrics, accessLog }),
});
