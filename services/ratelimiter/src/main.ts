import { runService } from '@sdl/server';
import { buildApp } from './app.js';
import { RateLimiterConfigSchema } from './config.js';

await runService({ name: 'ratelimiter', schema: RateLimiterConfigSchema, env: process.env, build: buildApp });
