import { Counter, Gauge, type Registry } from '@sdl/metrics';
import { retry } from '@sdl/retry';
import type { Repointed, RepointablePools } from './repointable-pools.js';
import type { ShardEndpoint, ShardEndpointStore } from './shard-endpoints.js';

/** The log calls the follower makes (a pino Logger has them). */
export interface FollowerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface FollowShardEndpointsOptions {
  readonly store: ShardEndpointStore;
  readonly pools: RepointablePools;
  readonly logger: FollowerLogger;
  /** Where the metrics go: `<prefix>_shard_primary_info`, `_shard_repoints_total`, `_shard_endpoint_invalid_total`. */
  readonly registry: Registry;
  /** The metrics' name prefix (the service: `api`, `billing`). */
  readonly metricPrefix: string;
  /** Backoff of the first read of the endpoints, ms (default 250 to 5000). */
  readonly retry?: { readonly minMs: number; readonly maxMs: number };
}

/** The follower's metrics, with each shard's primary as it is at start. */
function followerMetrics(options: FollowShardEndpointsOptions) {
  const { registry, metricPrefix: prefix, pools } = options;
  const info = new Gauge({
    name: `${prefix}_shard_primary_info`,
    help: "1 for the host:port (and endpoint epoch) each shard's primary pool connects to now",
    labelNames: ['shard', 'host', 'epoch'] as const,
    registers: [registry],
  });
  const repoints = new Counter({
    name: `${prefix}_shard_repoints_total`,
    help: 'Shard primary pools swapped to another server at run time (etcd endpoints)',
    labelNames: ['shard'] as const,
    registers: [registry],
  });
  const invalid = new Counter({
    name: `${prefix}_shard_endpoint_invalid_total`,
    help: 'Shard endpoint values in etcd refused as invalid (the shard keeps its pool)',
    labelNames: ['shard'] as const,
    registers: [registry],
  });
  // Every shard's series made again: a swapped shard's old host and epoch must not linger at 1.
  const publish = (): void => {
    info.reset();
    for (let shard = 0; shard < pools.count; shard++) {
      info.set({ shard: String(shard), host: pools.endpoint(shard), epoch: pools.epoch(shard) }, 1);
    }
  };
  publish();
  return {
    repointed({ shard }: Repointed): void {
      publish();
      repoints.inc({ shard: String(shard) });
    },
    invalid: (shard: number): void => invalid.inc({ shard: String(shard) }),
  };
}

/**
 * Keeps each shard's primary pool on the endpoint etcd names for it: every change of the store is
 * a repoint (one log line `shard primary repointed` each). A shard without a key goes back to its
 * configured URL, so without any key the URL files hold, as they do without etcd. Returns at once:
 * while etcd cannot be read the configured URLs serve, and the watch is retried in the background.
 */
export function followShardEndpoints(options: FollowShardEndpointsOptions): { close(): Promise<void> } {
  const { pools, logger, store } = options;
  const metrics = followerMetrics(options);
  const apply = (shard: number, endpoint: ShardEndpoint | undefined): void => {
    pools.repoint(shard, endpoint?.primary, endpoint?.epoch).then(
      (repointed) => {
        if (repointed === undefined) return;
        logger.info({ ...repointed, source: endpoint === undefined ? 'url-file' : 'etcd' }, 'shard primary repointed');
        metrics.repointed(repointed);
      },
      (err: unknown) => logger.error({ err, shard, to: endpoint?.primary }, 'shard repoint failed; the old pool stays'),
    );
  };
  const invalid = (shard: number, err: unknown): void => {
    logger.error({ err, shard, key: store.key(shard) }, 'invalid shard endpoint in etcd; the shard keeps its pool');
    metrics.invalid(shard);
  };
  const stop = new AbortController();
  const watching = retry(() => store.watch(apply, invalid), {
    minMs: options.retry?.minMs ?? 250,
    maxMs: options.retry?.maxMs ?? 5000,
    signal: stop.signal,
    onRetry: (err, _attempt, retryInMs) =>
      logger.warn({ err, retryInMs }, 'shard endpoints not readable from etcd yet; the URL files hold meanwhile'),
  });
  return {
    async close() {
      stop.abort();
      const watch = await watching.catch(() => undefined);
      await watch?.close();
    },
  };
}
