import { runService } from '@sdl/server';
import { buildApp } from './app.js';
import { ApiConfigSchema } from './config.js';

await runService({
  name: 'api',
  schema: ApiConfigSchema,
  env: process.env,
  build: async ({ config, logger, metrics }) => buildApp({ config, logger, metrics }),
});
