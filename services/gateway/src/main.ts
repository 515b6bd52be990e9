import { runService } from '@sdl/server';
import { buildApp } from './app.js';
import { checkGatewayConfig, GatewayConfigSchema } from './config.js';

await runService({
  name: 'gateway',
  schema: GatewayConfigSchema,
  check: checkGatewayConfig,
  env: process.env,
  build: async (ctx) => {
    const app = await buildApp(ctx);
    // The admin and HTTPS ports open with the public one (runService listens the public app once ready).
    app.addHook('onReady', async () => {
      await app.gatewayAdmin.listen();
      await app.gatewayTls?.listen();
    });
    return app;
  },
});
