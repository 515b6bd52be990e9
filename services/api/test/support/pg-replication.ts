import { fileURLToPath } from 'node:url';
import { labImages } from '@sdl/testing';
import { GenericContainer, Network, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';

/** A primary and its streaming replica, each reachable from the host (127.0.0.1). */
export interface ReplicatedPostgres {
  readonly primaryUrl: string;
  readonly replicaUrl: string;
  /** The replica as superuser `postgres` (to pause and resume WAL replay). */
  readonly replicaAdminUrl: string;
  readonly replica: StartedTestContainer;
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const entrypointDir = fileURLToPath(new URL('../../../../infra/postgres', import.meta.url));

function postgres(role: 'primary' | 'replica', net: StartedNetwork, alias: string): GenericContainer {
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
        ...(role === 'replica' ? { PG_PRIMARY_HOST: 'pg-primary' } : {}),
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
export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const net = await new Network().start();
  let primary: StartedTestContainer | undefined;
  let replica: StartedTestContainer | undefined;
  const stop = async (): Promise<void> => {
    await replica?.stop({ timeout: 2000 }).catch(() => undefined);
    await primary?.stop({ timeout: 2000 }).catch(() => undefined);
    await net.stop().catch(() => undefined);
  };
  try {
    primary = await postgres('primary', net, 'pg-primary').start();
    replica = await postgres('replica', net, 'pg-replica').start();
  } catch (err) {
    await stop();
    throw err;
  }
  const replicaPort = replica.getMappedPort(5432);
  return {
    primaryUrl: `postgres://lab:lab@${host}:${primary.getMappedPort(5432)}/lab`,
    replicaUrl: `postgres://lab:lab@${host}:${replicaPort}/lab`,
    replicaAdminUrl: `postgres://postgres:postgres@${host}:${replicaPort}/lab`,
    replica,
    stop,
  };
}
