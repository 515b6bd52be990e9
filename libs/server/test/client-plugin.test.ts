import { createLogger } from '@sdl/logging';
import { createMetrics } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, createClientPlugin } from '../src/index.js';

/** A client with the shape of the real ones (ping, close) that records what was done to it. */
class ProbeClient {
  readonly events: string[];
  up = true;
  constructor(
    readonly url: string,
    events: string[],
  ) {
    this.events = events;
  }
  async ping(): Promise<void> {
    if (!this.up) throw new Error(`${this.url} refused`);
  }
  async close(): Promise<void> {
    this.events.push(`close ${this.url}`);
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    clientPluginProbe: ProbeClient | undefined;
  }
}

const events: string[] = [];
const created: ProbeClient[] = [];
const probePlugin = createClientPlugin({
  name: 'probe',
  decorate: 'clientPluginProbe',
  create: (options: { url: string }) => {
    if (options.url === '') return undefined;
    const client = new ProbeClient(options.url, events);
    created.push(client);
    return client;
  },
  close: (client) => client.close(),
  ready: (client) => client.ping(),
});

const apps: FastifyInstance[] = [];
function makeApp(): FastifyInstance {
  const app = createApp({
    logger: createLogger({ name: 'test', level: 'silent' }),
    metrics: createMetrics({ service: 'test', defaults: false }),
  });
  apps.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  events.length = 0;
  created.length = 0;
});

describe('createClientPlugin', () => {
  it('creates the client, decorates the whole app, probes it under its name and closes it after later hooks', async () => {
    const app = makeApp();
    await app.register(probePlugin, { url: 'redis://one' });
    // A module registered after the client still uses it while it stops.
    app.addHook('onClose', async () => {
      events.push(`module stops, client open: ${!events.includes('close redis://one')}`);
    });
    await app.ready();
    expect(app.clientPluginProbe).toBe(created[0]);
    expect(created).toHaveLength(1);
    expect((await app.inject({ url: '/readyz' })).json()).toMatchObject({ checks: { probe: 'ok' } });
    created[0]!.up = false;
    const down = await app.inject({ url: '/readyz' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ checks: { probe: 'redis://one refused' } });
    await app.close();
    expect(events).toEqual(['module stops, client open: true', 'close redis://one']);
  });

  it('uses a client passed in and leaves closing it to the caller', async () => {
    const app = makeApp();
    const mine = new ProbeClient('redis://mine', events);
    await app.register(probePlugin, { url: 'redis://ignored', client: mine });
    await app.ready();
    expect(app.clientPluginProbe).toBe(mine);
    expect(created).toEqual([]);
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    await app.close();
    expect(events).toEqual([]);
  });

  it('decorates undefined, probes and closes nothing when create switches the feature off', async () => {
    const app = makeApp();
    await app.register(probePlugin, { url: '' });
    await app.ready();
    expect(app.clientPluginProbe).toBeUndefined();
    expect((await app.inject({ url: '/readyz' })).json()).toMatchObject({ ok: true, checks: {} });
    await app.close();
    expect(events).toEqual([]);
  });

  it('is a named plugin that later plugins can depend on', async () => {
    const app = makeApp();
    const dependent = fp(async () => undefined, { name: 'dependent', dependencies: ['probe'] });
    await expect(app.register(dependent).ready()).rejects.toMatchObject({
      code: 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED',
    });
    const other = makeApp();
    await other.register(probePlugin, { url: 'redis://two' });
    await other.register(dependent);
    await expect(other.ready()).resolves.toBeDefined();
  });
});
