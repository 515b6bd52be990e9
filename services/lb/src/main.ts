import { runService } from '@sdl/server';
import { buildApp } from './app.js';
import { checkLbConfig, LbConfigSchema } from './config.js';

await runService({
  name: 'lb',
  schema: LbConfigSchema,
  check: checkLbConfig,
  env: process.env,
  build: async (ctx) => {
    const app = await buildApp(ctx);
    // The proxy port opens with the admin port (runService listens the admin app after ready).
    app.addHook('onReady', async () => {
      await app.lb.listenProxy();
    });
    return app;
  },
});
