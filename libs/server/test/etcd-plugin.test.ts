import { createLogger } from '@sdl/logging';
import { createMetrics } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, etcdPlugin, optionalEtcdPlugin } from '../src/index.js';

// Nothing listens on port 1: a connection is refused at once, like a stopped etcd.
const DEAD_ETCD = 'http://127.0.0.1:1';
const logger = createLogger({ name: 'etcd-plugin-test', level: 'silent' });
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(plugin: typeof etcdPlugin, endpoints: string[]): Promise<FastifyInstance> {
  app = createApp({ logger, metrics: createMetrics({ service: 'etcd-plugin-test', defaults: false }) });
  await app.register(plugin, { endpoints, logger });
  await app.ready();
  return app;
}

describe('the etcd client plugins', () => {
  it('make no client without endpoints', async () => {
    const built = await build(etcdPlugin, []);
    expect(built.etcd).toBeUndefined();
    expect((await built.inject('/readyz')).statusCode).toBe(200);
  });

  it('etcdPlugin: /readyz is 503, naming the etcd check, while etcd does not answer', async () => {
    const built = await build(etcdPlugin, [DEAD_ETCD]);
    expect(built.etcd).toBeDefined();
    const res = await built.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ checks: { etcd: 'etcd did not answer' } });
  });

  it('optionalEtcdPlugin: the same client, but the service stays ready without etcd', async () => {
    const built = await build(optionalEtcdPlugin, [DEAD_ETCD]);
    expect(built.etcd).toBeDefined();
    expect((await built.inject('/readyz')).statusCode).toBe(200);
  });
});
