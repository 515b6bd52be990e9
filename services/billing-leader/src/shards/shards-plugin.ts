import { createClientPlugin } from '@sdl/server';
import { ShardPrimaries, type ShardPrimariesOptions } from './shard-primaries.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Undefined when no SHARD_PRIMARIES are configured (the replica then campaigns but charges nothing). */
    shardPrimaries: ShardPrimaries | undefined;
  }
}

/**
 * The shard primaries as `app.shardPrimaries`, with the readiness check `shards`: a replica is ready only
 * once every shard answers and is migrated (it may start before the api nodes migrated them).
 */
export const shardsPlugin = createClientPlugin<'shardPrimaries', ShardPrimariesOptions>({
  name: 'shards',
  decorate: 'shardPrimaries',
  create: (options) => (options.urls.length === 0 ? undefined : new ShardPrimaries(options)),
  close: (shards) => shards.close(),
  ready: (shards) => shards.check(),
});
