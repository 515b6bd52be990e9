import { fileURLToPath } from 'node:url';
import { GenericContainer, getContainerRuntimeClient, Wait, type StartedTestContainer } from 'testcontainers';
import { labImages } from './images.js';

/** A started container and how to reach it from the host (127.0.0.1 only). */
export interface Started {
  readonly container: StartedTestContainer;
  readonly url: string;
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const postgresEntrypoint = fileURLToPath(new URL('../../../infra/postgres', import.meta.url));
const redisEntrypoint = fileURLToPath(new URL('../../../infra/redis', import.meta.url));

/** What a crash of a Redis loses: REDIS_PERSISTENCE of infra/redis/persistence.sh. */
export type RedisPersistence = 'none' | 'rdb' | 'aof-everysec' | 'aof-always';

/** A started Redis that can crash: `url` follows the host port, which a restart may change. */
export interface StartedRedis extends Started {
  /** SIGKILL (docker kill: no shutdown save, no last fsync), then starts it again on the same /data. */
  crashRestart(): Promise<void>;
}

export interface RedisOptions {
  /** Default none, as in compose; the flags come from compose's own infra/redis/persistence.sh. */
  readonly persistence?: RedisPersistence;
  /** Further redis-server flags. */
  readonly flags?: readonly string[];
}

/** One Redis started as compose starts it (default: no persistence). */
export async function startRedis(options: RedisOptions = {}): Promise<StartedRedis> {
  const container = await new GenericContainer(labImages().redis)
    .withEntrypoint(['sh', '/infra/redis/persistence.sh'])
    .withCommand([...(options.flags ?? [])])
    .withEnvironment({ REDIS_PERSISTENCE: options.persistence ?? 'none' })
    .withBindMounts([{ source: redisEntrypoint, target: '/infra/redis', mode: 'ro' }])
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .start();
  return {
    container,
    get url() {
      return `redis://${host}:${container.getMappedPort(6379)}`;
    },
    stop: async () => void (await container.stop({ timeout: 1000 })),
    crashRestart: async () => {
      const client = await getContainerRuntimeClient();
      await client.container.getById(container.getId()).kill({ signal: 'SIGKILL' });
      // restart() of a stopped container starts it, then re-reads its ports and waits for the log line.
      await container.restart();
    },
  };
}

/** The test Postgres's passwords (superuser postgres, app role lab, role replicator), in files as in compose. */
const PG_PASSWORD_FILES = [
  { variable: 'POSTGRES_PASSWORD_FILE', target: '/run/secrets/pg_superuser_password', content: 'postgres' },
  { variable: 'PG_APP_PASSWORD_FILE', target: '/run/secrets/pg_app_password', content: 'lab' },
  { variable: 'PG_REPLICATION_PASSWORD_FILE', target: '/run/secrets/pg_replication_password', content: 'replicator' },
];

/**
 * One Postgres primary started by the project's own entrypoint (database lab, user lab), its
 * passwords given as files (`*_FILE`), as compose gives its secrets.
 */
export async function startPostgres(): Promise<Started> {
  const container = await new GenericContainer(labImages().postgres)
    .withEntrypoint(['bash', '/infra/postgres/entrypoint.sh'])
    .withBindMounts([{ source: postgresEntrypoint, target: '/infra/postgres', mode: 'ro' }])
    .withCopyContentToContainer(PG_PASSWORD_FILES.map(({ target, content }) => ({ target, content: `${content}\n` })))
    .withEnvironment({
      PG_ROLE: 'primary',
      ...Object.fromEntries(PG_PASSWORD_FILES.map(({ variable, target }) => [variable, target])),
    })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forSuccessfulCommand('pg_isready -h 127.0.0.1 -U postgres'))
    .start();
  return {
    container,
    url: `postgres://lab:lab@${host}:${container.getMappedPort(5432)}/lab`,
    stop: async () => void (await container.stop({ timeout: 2000 })),
  };
}

/** One etcd member. */
export async function startEtcd(): Promise<Started> {
  const container = await new GenericContainer(labImages().etcd)
    .withCommand([
      'etcd',
      '--name=etcd-test',
      '--data-dir=/tmp/etcd',
      '--listen-client-urls=http://0.0.0.0:2379',
      '--advertise-client-urls=http://127.0.0.1:2379',
    ])
    .withExposedPorts(2379)
    .withWaitStrategy(Wait.forSuccessfulCommand('etcdctl --endpoints=http://127.0.0.1:2379 endpoint health'))
    .start();
  return {
    container,
    url: `http://${host}:${container.getMappedPort(2379)}`,
    stop: async () => void (await container.stop({ timeout: 1000 })),
  };
}

/**
 * Starts several containers at once. If any fails to start, the ones that did are stopped before
 * the error is thrown, so a failed set-up leaves nothing running.
 */
export async function startAll<T extends readonly (() => Promise<{ stop(): Promise<void> }>)[]>(
  ...starters: T
): Promise<{ [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const results = await Promise.allSettled(starters.map((start) => start()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(
      results.map((r) => (r.status === 'fulfilled' ? r.value.stop().catch(() => undefined) : undefined)),
    );
    throw failed.reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    [K in keyof T]: Awaited<ReturnType<T[K]>>;
  };
}
