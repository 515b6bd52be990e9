import { BaseConfigSchema, createApp, type ServiceContext } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { closedPort, createTestAppBuilder } from '../src/index.js';

const ProbeConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  port: Type.Integer({ default: 3999 }),
  greeting: Type.String({ default: 'hello' }),
  readyAfter: Type.Integer({ minimum: 0, default: 0 }),
});
type ProbeConfig = Static<typeof ProbeConfigSchema>;

interface ProbeDeps extends ServiceContext<ProbeConfig> {
  /** An injected dependency, as services take clients made by their tests. */
  readonly suffix?: string;
}

/** A service's buildApp in miniature: a greeting route, and a readiness check that passes after N probes. */
async function buildProbeApp(deps: ProbeDeps) {
  const app = createApp({ logger: deps.logger, metrics: deps.metrics });
  let probes = 0;
  app.readiness.add('warm-up', async () => {
    if (++probes <= deps.config.readyAfter) throw new Error(`probe ${probes} of ${deps.config.readyAfter}`);
  });
  app.get('/greeting', async () => ({ text: `${deps.config.greeting}${deps.suffix ?? ''}`, node: deps.config.nodeId }));
  return app;
}

const buildTestApp = createTestAppBuilder({
  name: 'probe',
  schema: ProbeConfigSchema,
  build: buildProbeApp,
  env: { GREETING: 'hi', NODE_ID: 'probe-1' },
});

describe('createTestAppBuilder', () => {
  it('builds the app from an environment through the schema: spec env, then the test env, then defaults', async () => {
    const { app, config, metrics } = await buildTestApp({ NODE_ID: 'probe-2' }, { suffix: '!' });
    try {
      expect(config).toMatchObject({ greeting: 'hi', nodeId: 'probe-2', port: 3999, logLevel: 'info' });
      expect((await app.inject({ url: '/greeting' })).json()).toEqual({ text: 'hi!', node: 'probe-2' });
      // The app's own registry, labelled like the service's, without default process metrics.
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/greeting"[^}]*\} 1/);
      expect(text).toContain('node="probe-2"');
      expect(text).not.toContain('process_cpu');
    } finally {
      await app.close();
    }
  });

  it('rejects a bad environment as loadConfig does, naming the variable, cross-field checks included', async () => {
    await expect(buildTestApp({ READY_AFTER: '-1' })).rejects.toMatchObject({
      issues: [expect.objectContaining({ key: 'READY_AFTER' })],
    });
    const checked = createTestAppBuilder({
      name: 'probe',
      schema: ProbeConfigSchema,
      build: buildProbeApp,
      check: (config) => (config.greeting === '' ? [] : [{ key: 'GREETING', message: 'must be empty here' }]),
    });
    await expect(checked({ GREETING: 'x' })).rejects.toMatchObject({
      issues: [{ key: 'GREETING', message: 'must be empty here' }],
    });
  });

  it('listens on a free local port, and waits for readiness by probing /readyz', async () => {
    const testApp = await buildTestApp({ READY_AFTER: '3' });
    try {
      await testApp.untilReady({ intervalMs: 1 });
      const url = await testApp.listen();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${url}/greeting`);
      expect(await res.json()).toEqual({ text: 'hi', node: 'probe-1' });
    } finally {
      await testApp.app.close();
    }
  });

  it('names the failing checks when the app does not become ready in time', async () => {
    const { app, untilReady } = await buildTestApp({ READY_AFTER: '1000000' });
    try {
      await expect(untilReady({ timeoutMs: 20, intervalMs: 1 })).rejects.toThrow(/warm-up/);
    } finally {
      await app.close();
    }
  });
});

describe('closedPort', () => {
  it('names a local port that refuses connections', async () => {
    const port = await closedPort();
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  });
});
