import type { Logger } from '@sdl/logging';
import { Counter, Gauge, type Registry } from '@sdl/metrics';
import { retry } from '@sdl/retry';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createShardMapStore, ShardMapError, type ReadShardMap, type ShardMapStore } from './shard-map-store.js';
import type { ShardRouter } from './shard-router.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The etcd store of the shard map (undefined without etcd): the move routes write through it. */
    shardMapStore: ShardMapStore | undefined;
  }
}

export interface ShardMapPluginOptions {
  readonly router: ShardRouter;
  /** etcd key of the map. */
  readonly key: string;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Ends the start-up wait for etcd (a node shut down before it ever read the map). */
  readonly signal?: AbortSignal;
}

const RETRY = { minMs: 250, maxMs: 5000 } as const;

/**
 * The shard map from etcd (needs the coordinator plugin). Start-up waits until the map has been
 * read (created with the default if etcd has none): a node must never serve with a map it has not
 * read, or it would read a moved partition on its old shard. Then every change is applied as it is
 * watched; a value that does not fit this deployment is refused, logged and counted, and the
 * running map stays. Without etcd the default map (version 1) is static and partitions never move.
 */
export const shardMapPlugin = fp<ShardMapPluginOptions>(
  async (app: FastifyInstance, options) => {
    const { router } = options;
    const log = options.logger.child({ component: 'shard-map' });
    const version = new Gauge({
      name: 'api_shard_map_version',
      help: 'Version of the shard map this node routes by',
      registers: [options.registry],
    });
    version.set(router.version);
    const coordinator = app.etcd;
    if (coordinator === undefined) {
      app.decorate('shardMapStore', undefined);
      log.info({ version: router.version }, 'no etcd: static default shard map');
      return;
    }
    const invalid = new Counter({
      name: 'api_shard_map_invalid_total',
      help: 'Shard map values from etcd refused as invalid for this deployment (the running map stays)',
      registers: [options.registry],
    });
    const store: ShardMapStore = createShardMapStore({
      coordinator,
      key: options.key,
      shardCount: router.shardCount,
      partitions: router.partitions,
    });
    app.decorate('shardMapStore', store);
    const apply = ({ version: v, assignments }: { version: number; assignments: readonly number[] }): void => {
      if (router.apply({ version: v, assignments })) {
        version.set(v);
        log.info({ version: v }, 'shard map applied');
      }
    };
    router.setReader(async () => {
      const found = await store.read();
      if (found !== undefined) apply(found.map);
      return found?.map;
    });

    const first: ReadShardMap = await retry(() => store.init(), {
      ...RETRY,
      signal: options.signal,
      // A map that does not fit (wrong partition count, unknown shard) is a deployment error.
      shouldRetry: (err) => !(err instanceof ShardMapError),
      onRetry: (err, _attempt, retryInMs) =>
        log.warn({ err, retryInMs }, 'shard map not readable from etcd yet; retrying'),
    });
    apply(first.map);
    const watch = await store.watch(apply, (err) => {
      invalid.inc();
      log.error({ err, running: router.version }, 'invalid shard map in etcd refused; keeping the running map');
    });
    app.addHook('onClose', async () => watch.close());
  },
  { name: 'shard-map', dependencies: ['etcd'] },
);
