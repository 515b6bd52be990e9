import { describe, expect, it } from 'vitest';
import { PartitionMovedError } from '../../src/errors.js';
import { defaultShardMap, parseShardMap } from '../../src/sharding/shard-map-store.js';
import { createShardRouter } from '../../src/sharding/shard-router.js';
import { idOnShard } from '../support/helpers.js';

describe('parseShardMap', () => {
  const good = JSON.stringify(defaultShardMap(2, 64));

  it('accepts the default map and refuses maps that do not fit the deployment', () => {
    expect(parseShardMap(good, 2, 64)).toMatchObject({ version: 1 });
    const bad = (value: unknown, message: RegExp) =>
      expect(() => parseShardMap(JSON.stringify(value), 2, 64)).toThrow(message);
    bad({ version: 0, assignments: [] }, /positive integer version/);
    bad({ version: 2, assignments: [0, 1] }, /exactly 64 assignments/);
    bad({ version: 2, assignments: Array.from({ length: 64 }, () => 2) }, /names shard 2/);
    expect(() => parseShardMap('{', 2, 64)).toThrow(/not JSON/);
  });
});

describe('ShardRouter.write', () => {
  const moved = (partition: number) => ({
    version: 2,
    assignments: Array.from({ length: 64 }, (_, p) => (p === partition ? 1 : Math.floor(p / 32))),
  });

  it('retries a write refused by a fenced shard on the shard the re-read map names', async () => {
    const router = createShardRouter(2, undefined, { movedWaitMs: 1000, movedPollMs: 5 });
    const key = idOnShard(0);
    const { partition } = router.route(key);
    router.setReader(async () => moved(partition));
    const tried: number[] = [];
    const result = await router.write(key, async (route) => {
      tried.push(route.shard);
      if (route.shard === 0) throw new PartitionMovedError(route.shard, [route.partition]);
      return route.mapVersion;
    });
    expect(tried).toEqual([0, 1]);
    expect(result).toBe(2);
  });

  it('answers 503 API_ERR_PARTITION_MOVING when no new map shows within the wait', async () => {
    const router = createShardRouter(2, undefined, { movedWaitMs: 30, movedPollMs: 5 });
    router.setReader(async () => undefined);
    const failing = router.write('k', async (route) => {
      throw new PartitionMovedError(route.shard, [route.partition]);
    });
    await expect(failing).rejects.toMatchObject({ code: 'API_ERR_PARTITION_MOVING', statusCode: 503 });
  });

  it('passes other errors through without retrying', async () => {
    const router = createShardRouter(2);
    let calls = 0;
    await expect(
      router.write('k', async () => {
        calls++;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(calls).toBe(1);
  });
});
