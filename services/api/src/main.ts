import { runService } from '@sdl/server';
import { buildApp } from './app.js';
import { ApiConfigSchema, checkApiConfig } from './config.js';

await runService({
  name: 'api',
  schema: ApiConfigSchema,
  env: process.env,
  check: checkApiConfig,
  build: async ({ config, logger, metrics, accessLog }) => {
    const app = await buildApp({ config, logger, metrics, accessLog });
    // The admin port opens with the public one (runService listens the public app once ready).
    app.addHook('onReady', async () => {
      await app.apiAdmin?.listen();
    });
    return app;
  },
});
