import { runService } from '@sdl/server';
import { buildApp } from './app.js';
import { LbConfigSchema } from './config.js';

await runService({ name: 'lb', schema: LbConfigSchema, env: process.env, build: (ctx) => buildApp(ctx) });
