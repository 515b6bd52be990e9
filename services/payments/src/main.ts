import { runService } from '@sdl/server';
import { buildApp } from './app.js';
import { PaymentsConfigSchema } from './config.js';

await runService({
  name: 'payments',
  schema: PaymentsConfigSchema,
  env: process.env,
  build: async (ctx) => {
    const app = await buildApp(ctx);
    // The admin port opens with the API port (runService listens the API app once ready).
    app.addHook('onReady', async () => {
      await app.payments.listenAdmin();
    });
    return app;
  },
});
