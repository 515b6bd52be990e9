import { runService } from '@sdl/server';
import { buildApp } from './app.js';
import { checkGatewayConfig, GatewayConfigSchema } from './config.js';

await runService({
  name: 'gateway',
  schema: GatewayConfigSchema,
  check: checkGatewayConfig,
  env: process.env,
  build: buildApp,
});
