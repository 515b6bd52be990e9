import type { AddressInfo } from 'node:net';
import { loadConfig, type ConfigCheck } from '@sdl/config';
import { createLogger, type Logger } from '@sdl/logging';
import { createMetrics, type Metrics } from '@sdl/metrics';
import type { BaseConfig, ServiceContext } from '@sdl/server';
import type { Static, TObject } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

/** What a service's tests need to build its app the way its main.ts does. */
export interface TestAppSpec<S extends TObject, D extends ServiceContext<Static<S>>> {
  /** The service's name: its logger's and its metrics' `service` label. */
  readonly name: string;
  /** The service's config schema: every test app's config is loaded from an environment through it. */
  readonly schema: S;
  /** The service's cross-field config rules, as its main.ts gives them to runService. Default: none. */
  readonly check?: ConfigCheck<Static<S>>;
  /** The service's `buildApp`. */
  readonly build: (deps: D) => Promise<FastifyInstance>;
  /**
   * Environment every test app starts from; a test's own variables win. For settings tests want
   * other than production's (a short grace, port 0, a generous timeout on a loaded machine). Default `{}`.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Log level of the test apps. Default `'silent'`. */
  readonly logLevel?: string;
}

/** The dependencies of `buildApp` beyond config, logger and metrics (injected clients, fakes). */
export type ExtraDeps<D> = Omit<D, keyof ServiceContext<unknown>>;

/** A built (not listening) test app and what it was built from. */
export interface TestApp<C> {
  readonly app: FastifyInstance;
  readonly config: C;
  readonly logger: Logger;
  /** The app's own registry (default process metrics off), to read series without scraping. */
  readonly metrics: Metrics;
  /** Listens on 127.0.0.1 at a free port; resolves to the base url, `http://127.0.0.1:<port>`. */
  listen(): Promise<string>;
  /**
   * Polls `GET /readyz` until it answers 200 (a readiness probe, not a fixed sleep); rejects after
   * `timeoutMs` (default 10000) naming the checks that still fail. `intervalMs` defaults to 50.
   */
  untilReady(options?: { readonly timeoutMs?: number; readonly intervalMs?: number }): Promise<void>;
}

/** Builds apps for one service's tests: `(env, extraDeps) => TestApp`; both optional unless `buildApp` requires a dependency. */
export type TestAppBuilder<C, D> =
  Partial<ExtraDeps<D>> extends ExtraDeps<D>
    ? (env?: Readonly<Record<string, string>>, extra?: ExtraDeps<D>) => Promise<TestApp<C>>
    : (env: Readonly<Record<string, string>>, extra: ExtraDeps<D>) => Promise<TestApp<C>>;

/**
 * The one test-app builder (after fastify/demo's test/helper.ts): the service's `buildApp` called
 * as `runService` calls it (config from an environment through the service's schema and checks, a logger,
 * the service's own metrics registry), but silent, without default process metrics, and not
 * listening. A service's test/helpers.ts makes its builder once:
 * `export const buildTestApp = createTestAppBuilder({ name: 'lb', schema: LbConfigSchema, build: buildApp })`.
 */
export function createTestAppBuilder<S extends TObject, D extends ServiceContext<Static<S>>>(
  spec: TestAppSpec<S, D>,
): TestAppBuilder<Static<S>, D> {
  const builder = async (
    env: Readonly<Record<string, string>> = {},
    extra?: ExtraDeps<D>,
  ): Promise<TestApp<Static<S>>> => {
    const config = loadConfig(spec.schema, { ...spec.env, ...env }, spec.check);
    const node = (config as Partial<BaseConfig>).nodeId;
    const logger = createLogger({
      name: spec.name,
      level: spec.logLevel ?? 'silent',
      ...(node === undefined ? {} : { base: { node } }),
    });
    const metrics = createMetrics({ service: spec.name, defaults: false, ...(node === undefined ? {} : { node }) });
    const app = await spec.build({ ...extra, config, logger, metrics } as D);
    return {
      app,
      config,
      logger,
      metrics,
      async listen() {
        await app.listen({ host: '127.0.0.1', port: 0 });
        return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      },
      untilReady: (options = {}) => untilReady(app, options.timeoutMs ?? 10_000, options.intervalMs ?? 50),
    };
  };
  return builder as TestAppBuilder<Static<S>, D>;
}

async function untilReady(app: FastifyInstance, timeoutMs: number, intervalMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    if (res.statusCode === 200) return;
    if (performance.now() >= deadline) {
      throw new Error(`not ready within ${timeoutMs} ms: ${res.body}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
