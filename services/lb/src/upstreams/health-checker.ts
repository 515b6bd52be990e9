import type { Logger } from '@sdl/logging';
import { Agent, request } from 'undici';
import type { UpstreamSet } from './upstream-set.js';
import type { UpstreamHost } from './upstream-host.js';

export interface HealthCheckerOptions {
  readonly upstreams: UpstreamSet;
  readonly logger: Logger;
  /** HEALTH_INTERVAL_MS. */
  readonly intervalMs: number;
  /** Per check, connect included (HEALTH_TIMEOUT_MS). */
  readonly timeoutMs: number;
}

export interface HealthChecker {
  start(): void;
  stop(): Promise<void>;
}

/**
 * Active checks: `GET <url>/healthz` on every host each interval; 2xx is a success. Checks use
 * their own agent so that they never queue behind proxied traffic in a busy pool, and a host's
 * next check is skipped while its previous one is still out.
 */
export function createHealthChecker(options: HealthCheckerOptions): HealthChecker {
  const { upstreams, intervalMs, timeoutMs } = options;
  const log = options.logger.child({ component: 'health' });
  const agent = new Agent({
    connections: 1,
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const pending = new Map<UpstreamHost, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;

  const check = async (host: UpstreamHost): Promise<void> => {
    try {
      const res = await request(`${host.url}/healthz`, {
        dispatcher: agent,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) host.recordSuccess(true);
      else host.recordFailure(`health check answered ${res.statusCode}`);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      log.debug({ err, upstream: host.id }, 'health check failed');
      host.recordFailure(`health check failed (${typeof code === 'string' ? code : 'error'})`);
    }
  };

  const round = () => {
    for (const host of upstreams.list()) {
      if (pending.has(host)) continue;
      const done = check(host).finally(() => pending.delete(host));
      pending.set(host, done);
    }
  };

  return {
    start() {
      if (timer !== undefined) return;
      timer = setInterval(round, intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await Promise.allSettled([...pending.values()]);
      await agent.close();
    },
  };
}
