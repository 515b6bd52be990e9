import { runService } from '@sdl/server';
import { buildApp } from './app.js';
import { ConsoleConfigSchema } from './config.js';

await runService({ name: 'console', schema: ConsoleConfigSchema, env: process.env, build: buildApp });
