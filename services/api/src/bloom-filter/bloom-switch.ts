import { once } from 'node:events';
import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import { Gauge, type Registry } from '@sdl/metrics';
import { closeRedis, createRedisClient } from '@sdl/redis';
import { retry } from '@sdl/retry';
import type pg from 'pg';
import { BLOOM_ENTITIES, BloomRebuildErrors, rebuildBloomFilter, type BloomEntity } from './bloom-rebuild.js';
import type { BloomSizing } from './bloom-sizing.js';

export interface BloomSwitchOptions {
  /** BLOOM_FILTER at start: on is consulted at once (it fails open until `./lab bloom rebuild`). */
  readonly on: boolean;
  /** REDIS_CACHE_URL; undefined: nothing to rebuild (every check a bypass). */
  readonly redisUrl: string | undefined;
  /** Every shard's primary pool, read at each rebuild (a promotion swaps them). */
  readonly primaries: () => readonly pg.Pool[];
  readonly sizing: BloomSizing;
  readonly logger: Logger;
  readonly registry: Registry;
}

const STATE = { off: 0, rebuilding: 1, on: 2 } as const;
export type BloomSwitchState = keyof typeof STATE;
/** A rebuild's Redis commands may be slow (a whole bit array allocated): not the request path's bound. */
const REBUILD_REDIS_TIMEOUT_MS = 10_000;
/** Short, so that the lease of a rebuild that died frees soon; renewed after every batch. */
const REBUILD_LEASE_MS = 10_000;

/**
 * BLOOM_FILTER at run time. Creates add their ids whatever the switch says (a script call each),
 * so a filter built once stays complete while switched off. Switched on at run time, the node
 * still answers "maybe" (bypass: the database reads) until a rebuild it ran itself has swapped in:
 * that covers a filter last built before a node that did not add was running, or none at all.
 * Each node rebuilds in turn (the rebuild lease serialises them; the tables are scanned again).
 */
export class BloomSwitch {
  readonly #o: BloomSwitchOptions;
  readonly #log: Logger;
  readonly #state: Gauge;
  #on: boolean;
  #consulted: boolean;
  #rebuild: AbortController | undefined;

  constructor(options: BloomSwitchOptions) {
    this.#o = options;
    this.#on = options.on;
    this.#consulted = options.on;
    this.#log = options.logger.child({ component: 'bloom-switch' });
    this.#state = new Gauge({
      name: 'api_bloom_filter_state',
      help: 'BLOOM_FILTER on this node: 0 off, 1 switched on and rebuilding (reads bypass the filter), 2 on (consulted)',
      registers: [options.registry],
    });
    this.#report();
  }

  /** Whether reads ask the filter now (`on`), read through while it is rebuilt, or not at all. */
  state(): BloomSwitchState {
    return this.#consulted ? 'on' : this.#on ? 'rebuilding' : 'off';
  }

  /** The run-time setting; the same value again changes nothing. */
  set(on: boolean): void {
    if (on === this.#on) return;
    this.#on = on;
    this.#consulted = false;
    this.#rebuild?.abort();
    this.#rebuild = undefined;
    if (on) {
      const controller = new AbortController();
      this.#rebuild = controller;
      void this.#rebuildAll(controller.signal);
    }
    this.#report();
  }

  /** Stops a rebuild in progress (app close). */
  close(): void {
    this.#rebuild?.abort();
  }

  async #rebuildAll(signal: AbortSignal): Promise<void> {
    const { redisUrl: url, sizing, logger } = this.#o;
    if (url === undefined) return;
    // Its own connection: the request path's client fails commands after REDIS_TIMEOUT_MS.
    const redis = createRedisClient({
      url,
      timeoutMs: REBUILD_REDIS_TIMEOUT_MS,
      logger,
      name: 'sdl-api-bloom-rebuild',
    });
    const rebuild = (entity: BloomEntity) =>
      rebuildBloomFilter({ redis, primaries: this.#o.primaries(), entity, sizing, logger, leaseMs: REBUILD_LEASE_MS });
    try {
      // Commands before the connection is up would fail (no offline queue): wait for it.
      if (redis.status !== 'ready') await once(redis, 'ready', { signal });
      for (const entity of Object.keys(BLOOM_ENTITIES) as BloomEntity[]) {
        await retry(() => rebuild(entity), {
          signal,
          minMs: 200,
          maxMs: 5000,
          onRetry: (err, attempt) => {
            const running = err instanceof AppError && err.code === BloomRebuildErrors.running.code;
            if (!running || attempt % 10 === 0)
              this.#log.warn({ err, entity, attempt }, 'bloom rebuild after switch-on retried');
          },
        });
      }
    } catch (err) {
      if (!signal.aborted) this.#log.error({ err }, 'bloom rebuild after switch-on gave up');
      return;
    } finally {
      await closeRedis(redis);
    }
    if (signal.aborted) return;
    this.#consulted = true;
    this.#rebuild = undefined;
    this.#log.info('bloom filters rebuilt after switch-on; reads consult them');
    this.#report();
  }

  #report(): void {
    this.#state.set(STATE[this.state()]);
  }
}

export function createBloomSwitch(options: BloomSwitchOptions): BloomSwitch {
  return new BloomSwitch(options);
}
