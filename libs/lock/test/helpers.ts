import { createLogger } from '@sdl/logging';
import { closeRedis, createRedisClient, type Redis } from '@sdl/redis';
import { startAll, startRedis, type RedisPersistence, type StartedRedis } from '@sdl/testing';
import { getContainerRuntimeClient } from 'testcontainers';

export const logger = createLogger({ name: 'lock-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Three independent Redis servers and a way to open client sets on them, all closed by `stop()`. */
export interface RedisTrio {
  readonly servers: readonly StartedRedis[];
  /** One ready client per server (at its current port); `timeoutMs` is the client's own command timeout. */
  connect(timeoutMs?: number): Promise<Redis[]>;
  /** Freezes a server's process (docker pause): connections stay open, nothing answers. */
  pause(index: number): Promise<void>;
  unpause(index: number): Promise<void>;
  stop(): Promise<void>;
}

/** Three Redis in the same persistence mode (default none, as in compose). */
export async function startRedisTrio(persistence: RedisPersistence = 'none'): Promise<RedisTrio> {
  const start = () => startRedis({ persistence });
  const servers = await startAll(start, start, start);
  const opened: Redis[] = [];
  const container = async (index: number) =>
    (await getContainerRuntimeClient()).container.getById(servers[index]!.container.getId());
  return {
    servers,
    async connect(timeoutMs = 500) {
      const clients = servers.map((s, i) =>
        createRedisClient({ url: s.url, timeoutMs, logger, name: `lock-test-${i}`, lazyConnect: true }),
      );
      opened.push(...clients);
      await Promise.all(clients.map((c) => c.connect()));
      return clients;
    },
    async pause(index) {
      await (await container(index)).pause();
    },
    async unpause(index) {
      await (await container(index)).unpause();
    },
    async stop() {
      await Promise.all(opened.map((c) => closeRedis(c)));
      await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    },
  };
}

/** The `code` of a rejection (undefined when it resolved). */
export async function codeOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}
