#!/usr/bin/env node
// The shard map's operator tool, run inside an api container (`./lab shard ...`): it reads the
// node's own environment (SHARD_PRIMARIES, ETCD_ENDPOINTS, SHARD_MAP_KEY), so it sees exactly the
// shards and the map the nodes use. Prints one JSON document on stdout; logs go to stderr.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@sdl/config';
import { createCoordinator } from '@sdl/coord';
import { DEFAULT_PARTITIONS, partitionOf } from '@sdl/hashing';
import { createLogger } from '@sdl/logging';
import pg from 'pg';
import { ApiConfigSchema } from '../config.js';
import { movePartition, PartitionMoveError, unfencePartition } from '../sharding/partition-move.js';
import { createShardMapStore, ShardMapError } from '../sharding/shard-map-store.js';

const USAGE = `usage: shard-admin map
       shard-admin locate <account-id>
       shard-admin move <partition> <to-shard> [--grace-ms N] [--drain-ms N]
       shard-admin unfence <partition>     (lift the fence of a move that failed after fencing)
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'grace-ms': { type: 'string', default: '2000' }, 'drain-ms': { type: 'string', default: '3000' } },
});
const [command, ...args] = positionals;
const int = (value: string | undefined): number | undefined =>
  value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;

async function main(): Promise<number> {
  const config = loadConfig(ApiConfigSchema, process.env);
  if (config.etcdEndpoints.length === 0)
    throw new ConfigError([{ key: 'ETCD_ENDPOINTS', message: 'the shard map lives in etcd' }]);
  const logger = createLogger({ name: 'shard-admin', level: 'info', destination: process.stderr });
  const coordinator = createCoordinator({ endpoints: config.etcdEndpoints, logger });
  const primaries = config.shardPrimaries.map(
    (url) => new pg.Pool({ connectionString: url, max: 3, application_name: 'sdl-shard-admin' }),
  );
  const store = createShardMapStore({
    coordinator,
    key: config.shardMapKey,
    shardCount: primaries.length,
    partitions: DEFAULT_PARTITIONS,
  });
  const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  try {
    if (command === 'map') {
      const found = await store.read();
      if (found === undefined) throw new PartitionMoveError('no shard map in etcd yet (start an api node first)');
      const perShard = primaries.map((_, shard) => found.map.assignments.flatMap((s, p) => (s === shard ? [p] : [])));
      print({ ...found.map, partitionsPerShard: perShard.map((ps) => ps.length), shards: perShard });
      return 0;
    }
    if (command === 'locate' && args[0] !== undefined) {
      const found = await store.read();
      const partition = partitionOf(args[0], DEFAULT_PARTITIONS);
      print({ key: args[0], partition, shard: found?.map.assignments[partition], version: found?.map.version });
      return 0;
    }
    const partition = int(args[0]);
    if (command === 'move' && partition !== undefined && int(args[1]) !== undefined) {
      const report = await movePartition({
        primaries,
        store,
        partition,
        to: int(args[1])!,
        logger,
        cleanupGraceMs: int(values['grace-ms']),
        outboxDrainMs: int(values['drain-ms']),
      });
      print({ ...report, fenceMs: Math.round(report.fenceMs * 10) / 10, totalMs: Math.round(report.totalMs) });
      return 0;
    }
    if (command === 'unfence' && partition !== undefined) {
      print({ partition, lifted: await unfencePartition(primaries, store, partition) });
      return 0;
    }
    process.stderr.write(USAGE);
    return 64;
  } finally {
    await Promise.all(primaries.map((p) => p.end()));
    await coordinator.close();
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  const known = err instanceof PartitionMoveError || err instanceof ShardMapError || err instanceof ConfigError;
  process.stderr.write(`shard-admin: ${known ? (err as Error).message : String((err as Error)?.stack ?? err)}\n`);
  process.exitCode = err instanceof ConfigError ? 78 : 1;
}
