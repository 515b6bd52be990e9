import { createShardEndpointStore, followShardEndpoints, SHARD_ENDPOINTS_PREFIX } from '@sdl/db';
import type { Logger } from '@sdl/logging';
import type { Registry } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface ShardEndpointsPluginOptions {
  readonly logger: Logger;
  readonly registry: Registry;
  /** etcd prefix of the endpoint keys (default SHARD_ENDPOINTS_PREFIX: `/sdl/shard-endpoints/N`). */
  readonly prefix?: string;
}

/**
 * Failover without a restart (issue 14): each shard's primary endpoint as etcd names it
 * (`./lab shard promote N` writes it) is followed, the shard's pool rebuilt to it and swapped in
 * (see RepointablePools). `api_shard_primary_info{shard,host}` says where each shard writes now.
 * Without etcd, or without a shard's key, the shard URL files hold (and no such metric is kept).
 */
export const shardEndpointsPlugin = fp<ShardEndpointsPluginOptions>(
  async (app: FastifyInstance, options) => {
    const log = options.logger.child({ component: 'shard-endpoints' });
    if (app.etcd === undefined) {
      log.info('no etcd: shard primaries from the URL files only');
      return;
    }
    const { primaries } = app.shards;
    const follower = followShardEndpoints({
      store: createShardEndpointStore({
        source: app.etcd,
        prefix: options.prefix ?? SHARD_ENDPOINTS_PREFIX,
        shardCount: primaries.count,
      }),
      pools: primaries,
      logger: log,
      registry: options.registry,
      metricPrefix: 'api',
    });
    app.addHook('onClose', async () => follower.close());
  },
  { name: 'shard-endpoints', dependencies: ['postgres', 'etcd'] },
);
