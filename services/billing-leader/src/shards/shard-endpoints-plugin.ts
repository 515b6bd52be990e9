import { createShardEndpointStore, followShardEndpoints } from '@sdl/db';
import type { Logger } from '@sdl/logging';
import type { Registry } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The shard primaries follow the endpoints etcd names (`./lab shard promote N`), as the api nodes
 * do (see @sdl/db followShardEndpoints): `billing_shard_primary_info{shard,host}` says where each
 * shard is charged now. Without a shard's key the SHARD_PRIMARIES URL holds.
 */
export const shardEndpointsPlugin = fp<{ readonly logger: Logger; readonly registry: Registry }>(
  async (app: FastifyInstance, options) => {
    const shards = app.shardPrimaries;
    if (shards === undefined || app.etcd === undefined) return;
    const follower = followShardEndpoints({
      store: createShardEndpointStore({ source: app.etcd, shardCount: shards.count }),
      pools: shards.primaries,
      logger: options.logger.child({ component: 'shard-endpoints' }),
      registry: options.registry,
      metricPrefix: 'billing',
    });
    app.addHook('onClose', async () => follower.close());
  },
  { name: 'shard-endpoints', dependencies: ['shards', 'etcd'] },
);
