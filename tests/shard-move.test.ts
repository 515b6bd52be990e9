import { describe, expect, it } from 'vitest';
import { call } from './support/http.js';
import { labAsync } from './support/lab.js';

interface Located {
  partition: number;
  shard: number;
  version: number;
}

async function shard(args: string[]): Promise<Record<string, unknown>> {
  return JSON.parse(await labAsync(['shard', ...args], 120_000)) as Record<string, unknown>;
}

describe('moving a partition online in the cluster (./lab shard move)', () => {
  it('moves an account’s partition to the other shard while a client keeps writing, and back', async () => {
    const created = await call('POST', '/v1/accounts', { body: { email: 'mover@example.com', name: 'Mo' } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const before = (await shard(['locate', id])) as unknown as Located;
    expect(String(before.shard)).toBe(created.headers.get('x-shard'));
    const other = 1 - before.shard;

    // One client writes posts to the account throughout both moves.
    const acked: string[] = [];
    const failed: string[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const res = await call('POST', `/v1/accounts/${id}/posts`, { body: { title: `p${i}`, body: '' } });
        if (res.status === 201) acked.push(res.body.id as string);
        else failed.push(`${res.status} ${res.text}`);
      }
    })();
    let moved: Record<string, unknown>;
    try {
      moved = await shard(['move', String(before.partition), String(other), '--grace-ms', '500']);
      expect(moved).toMatchObject({
        partition: before.partition,
        from: before.shard,
        to: other,
        version: before.version + 1,
      });
      const read = await call('GET', `/v1/accounts/${id}`);
      expect(read.status).toBe(200);
      expect(read.headers.get('x-shard')).toBe(String(other));
      const back = await shard(['move', String(before.partition), String(before.shard), '--grace-ms', '500']);
      expect(back).toMatchObject({ from: other, to: before.shard, version: before.version + 2 });
    } finally {
      stop = true;
      await writer;
    }
    console.log(
      `shard move in the cluster: fence ${String(moved.fenceMs)} ms, ${acked.length} posts written during two moves`,
    );
    expect(failed).toEqual([]);
    // Every acknowledged post is listed once, from the shard the partition is back on.
    const listed: string[] = [];
    for (let cursor: string | undefined; ;) {
      const page = await call(
        'GET',
        `/v1/accounts/${id}/posts?limit=100${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      );
      expect(page.status).toBe(200);
      expect(page.headers.get('x-shard')).toBe(String(before.shard));
      listed.push(...(page.body.items as { id: string }[]).map((p) => p.id));
      cursor = page.body.nextCursor as string | undefined;
      if (cursor === undefined || cursor === null) break;
    }
    expect(new Set(listed).size).toBe(listed.length);
    expect([...acked].sort()).toEqual([...listed].sort());

    const refused = await labAsync(['shard', 'move', String(before.partition), String(before.shard)]).catch(
      (err: { stderr: string }) => err.stderr,
    );
    expect(refused).toMatch(/already on shard/);
  }, 240_000);
});
