import { fileURLToPath } from 'node:url';
import { labImages } from '@sdl/testing';
import {
  GenericContainer,
  getContainerRuntimeClient,
  Network,
  Wait,
  type StartedNetwork,
  type StartedTestContainer,
} from 'testcontainers';

/** A primary and its streaming replica, each reachable from the host (127.0.0.1). */
export interface ReplicatedPostgres {
  readonly primaryUrl: string;
  readonly replicaUrl: string;
  /** The replica as superuser `postgres` (to pause and resume WAL replay). */
  readonly replicaAdminUrl: string;
  /** The primary as superuser `postgres` (pg_stat_replication, pg_stat_activity of every session). */
  readonly primaryAdminUrl: string;
  readonly primary: StartedTestContainer;
  readonly replica: StartedTestContainer;
  /** `docker kill` of the primary (SIGKILL: no shutdown, no last word to the standby). */
  crashPrimary(): Promise<void>;
  /** `docker pause` / `docker unpause` of the replica (its processes frozen: no WAL acknowledged). */
  pauseReplica(): Promise<void>;
  unpauseReplica(): Promise<void>;
  stop(): Promise<void>;
}

const docker = async (container: StartedTestContainer) =>
  (await getContainerRuntimeClient()).container.getById(container.getId());

const host = '127.0.0.1';
const entrypointDir = fileURLToPath(new URL('../../../../infra/postgres', import.meta.url));

/** What the pair runs with. */
export interface ReplicatedPostgresOptions {
  /** The primary's PG_SYNC_REPLICATION (infra/postgres/sync-replication.sh); default off, as in compose. */
  readonly syncReplication?: 'off' | 'remote_write' | 'on' | 'remote_apply';
}

/** The replica's application_name (its slot name, from its hostname), the standby a synchronous commit waits for. */
export const REPLICA_STANDBY_NAME = 'pg_replica';

function postgres(
  role: 'primary' | 'replica',
  net: StartedNetwork,
  alias: string,
  options: ReplicatedPostgresOptions = {},
): GenericContainer {
  return (
    new GenericContainer(labImages().postgres)
      .withEntrypoint(['bash', '/infra/postgres/entrypoint.sh'])
      .withBindMounts([{ source: entrypointDir, target: '/infra/postgres', mode: 'ro' }])
      .withNetwork(net)
      .withNetworkAliases(alias)
      // The replica's replication slot is named after its hostname.
      .withHostname(alias)
      .withEnvironment({
        PG_ROLE: role,
        POSTGRES_PASSWORD: 'postgres',
        PG_REPLICATION_PASSWORD: 'replicator',
        ...(role === 'replica'
          ? { PG_PRIMARY_HOST: 'pg-primary' }
          : { PG_SYNC_REPLICATION: options.syncReplication ?? 'off', PG_SYNC_STANDBY_NAMES: REPLICA_STANDBY_NAME }),
      })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forSuccessfulCommand('pg_isready -h 127.0.0.1 -U postgres'))
  );
}

/**
 * The project's own entrypoint as primary + hot-standby replica on one private docker network
 * (libs/testing only starts lone primaries; this helper stays local to the api's tests).
 * Everything started is stopped again if a later step fails.
 */
export async function startReplicatedPostgres(options: ReplicatedPostgresOptions = {}): Promise<ReplicatedPostgres> {
  const net = await new Network().start();
  let primary: StartedTestContainer | undefined;
  let replica: StartedTestContainer | undefined;
  const stop = async (): Promise<void> => {
    if (replica !== undefined) await (await docker(replica)).unpause().catch(() => undefined);
    await replica?.stop({ timeout: 2000 }).catch(() => undefined);
    await primary?.stop({ timeout: 2000 }).catch(() => undefined);
    await net.stop().catch(() => undefined);
  };
  try {
    primary = await postgres('primary', net, 'pg-primary', options).start();
    replica = await postgres('replica', net, 'pg-replica').start();
  } catch (err) {
    await stop();
    throw err;
  }
  const [started, standby] = [primary, replica];
  const replicaPort = replica.getMappedPort(5432);
  const primaryPort = primary.getMappedPort(5432);
  return {
    primaryUrl: `postgres://lab:lab@${host}:${primaryPort}/lab`,
    primaryAdminUrl: `postgres://postgres:postgres@${host}:${primaryPort}/lab`,
    replicaUrl: `postgres://lab:lab@${host}:${replicaPort}/lab`,
    replicaAdminUrl: `postgres://postgres:postgres@${host}:${replicaPort}/lab`,
    primary,
    replica,
    crashPrimary: async () => void (await (await docker(started)).kill({ signal: 'SIGKILL' })),
    pauseReplica: async () => void (await (await docker(standby)).pause()),
    unpauseReplica: async () => void (await (await docker(standby)).unpause()),
    stop,
  };
}
