import { Gauge, type Registry } from '@sdl/metrics';
import { readPersistenceMode, type Redis } from '@sdl/redis';

/**
 * `api_lock_redis_persistence{instance,mode} 1` per lock Redis (instance 1..N as in
 * REDIS_LOCK_URLS), asked at each scrape with the cache Redis's CONFIG GET reader, so it shows the
 * mode in effect after a restart. Why it matters: a lock Redis restarted with `none` comes back
 * empty and can grant a lock that a majority still holds (the Redlock hazard, libs/lock's
 * test/restart-hazard.test.ts); `aof-always` closes that window. An instance that does not answer
 * is left out of the scrape.
 */
export function reportLockPersistence(clients: readonly Redis[], registry: Registry): void {
  if (clients.length === 0) return;
  new Gauge({
    name: 'api_lock_redis_persistence',
    help: 'Each lock Redis persistence mode as a label (value 1): none, rdb, aof-everysec, aof-always; unknown when CONFIG GET is refused',
    labelNames: ['instance', 'mode'] as const,
    registers: [registry],
    async collect() {
      const modes = await Promise.all(clients.map((redis) => readPersistenceMode(redis)));
      this.reset();
      modes.forEach((mode, i) => {
        if (mode !== undefined) this.set({ instance: String(i + 1), mode }, 1);
      });
    },
  });
}
