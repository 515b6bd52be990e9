import { runService } from '@sdl/server';
import { buildApp } from './app.js';
import { GatewayConfigSchema } from './config.js';

await runService({ name: 'gateway', schema: GatewayConfigSchema, env: process.env, build: buildApp });
