import { runService } from '@sdl/server';
import { buildApp } from './app.js';
import { PaymentsConfigSchema } from './config.js';

await runService({ name: 'payments', schema: PaymentsConfigSchema, env: process.env, build: buildApp });
