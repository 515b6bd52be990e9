import { loadConfig, ConfigError, type ConfigCheck } from '@sdl/config';
import { createLogger, type Logger } from '@sdl/logging';
import { createMetrics, type Metrics } from '@sdl/metrics';
import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AccessLogConfigSchema, createAccessLog, type AccessLog } from './access-log.js';
import { listenWithGrace } from './listen.js';

/** Settings every service has; a service's schema extends these. */
export const BaseConfigSchema = Type.Object({
  host: Type.String({ default: '0.0.0.0' }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  logLevel: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /** The node's name in logs, metrics and `x-upstream` (compose sets it to the service name). */
  nodeId: Type.String({ minLength: 1, default: 'local' }),
  shutdownGraceMs: Type.Integer({ minimum: 0, default: 10_000 }),
  /** Answer with `Server-Timing` (where the request's time went); the gateway off hides the chain's. */
  serverTiming: Type.Boolean({ default: true }),
  ...AccessLogConfigSchema.properties,
});
export type BaseConfig = Static<typeof BaseConfigSchema>;

export interface ServiceContext<C> {
  readonly config: C;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * The process's access-log switch: ACCESS_LOG, opened for ACCESS_LOG_SIGNAL_MS by SIGUSR2.
   * runService always passes it; test builders leave it out (apps then make one from their config).
   */
  readonly accessLog?: AccessLog;
}

export interface RunServiceOptions<S extends TObject> {
  readonly name: string;
  readonly schema: S;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Cross-field rules of the service's config, reported with the schema's own errors. */
  readonly check?: ConfigCheck<Static<S>>;
  readonly build: (ctx: ServiceContext<Static<S>>) => Promise<FastifyInstance>;
}

/**
 * The body of every service's main.ts: validate the environment (listing every bad key), make the
 * logger and metrics, build the app, listen, and shut down with grace.
 */
export async function runService<S extends TObject>(options: RunServiceOptions<S>): Promise<void> {
  let config: Static<S>;
  let app: FastifyInstance;
  let logger: Logger;
  let accessLog: AccessLog;
  try {
    config = loadConfig(options.schema, options.env, options.check);
    const base = config as unknown as BaseConfig;
    logger = createLogger({ name: options.name, level: base.logLevel, base: { node: base.nodeId } });
    const metrics = createMetrics({ service: options.name, node: base.nodeId });
    accessLog = createAccessLog(base.accessLog);
    // build() may reject settings that only make sense together (e.g. two lists of equal length).
    app = await options.build({ config, logger, metrics, accessLog });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${options.name}: ${err.message}\n`);
      process.exitCode = 78;
      return;
    }
    throw err;
  }
  const base = config as unknown as BaseConfig;
  // `kill -USR2` (docker kill -s SIGUSR2): every request of the next minute logged, no restart.
  const openAccessLog = (): void => {
    accessLog.open(base.accessLogSignalMs);
    logger.info({ forMs: base.accessLogSignalMs }, 'access log: every request (SIGUSR2)');
  };
  process.on('SIGUSR2', openAccessLog);
  app.addHook('onClose', async () => {
    process.off('SIGUSR2', openAccessLog);
    accessLog.close();
  });
  await listenWithGrace(app, {
    host: base.host,
    port: base.port,
    logger,
    graceMs: base.shutdownGraceMs,
    keepSignals: ['SIGUSR2'],
  });
  logger.info({ port: base.port }, `${options.name} listening`);
}
