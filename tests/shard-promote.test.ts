import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { call } from './support/http.js';
import { containerOf, docker, inspect, isRunning, labAsync } from './support/lab.js';

const run = promisify(execFile);

// ./lab shard promote N (issue 14): shard 1's replica becomes its primary while a client writes;
// the api and billing nodes repoint through etcd, none restarts, and the old primary stays fenced.
// The shard is then made anew, empty (./lab shard rebuild 1), so the next file finds it as usual.
const writers = ['api-1', 'api-2', 'api-3', 'billing-leader-1', 'billing-leader-2'];
const startedAt = () => Promise.all(writers.map((svc) => inspect(svc, '{{.State.StartedAt}}')));

/** A new account that lives on `shard` (ids are random: create until one lands there). */
async function accountOnShard(shard: number): Promise<string> {
  for (let i = 0; ; i++) {
    const res = await call('POST', '/v1/accounts', { body: { email: `promote-${i}@example.com`, name: 'P' } });
    expect(res.status).toBe(201);
    if (res.headers.get('x-shard') === String(shard)) return res.body.id as string;
  }
}

describe('./lab shard promote: failover of a shard without restarting its writers', () => {
  // The cheapest full restore: only shard 1's two servers are made anew (empty), the writers repoint back.
  afterAll(async () => {
    await labAsync(['shard', 'rebuild', '1'], 180_000);
    expect(
      (await call('POST', `/v1/accounts/${await accountOnShard(1)}/posts`, { body: { title: 't', body: '' } })).status,
    ).toBe(201);
  }, 200_000);

  it('promotes shard 1 under writes; writes resume on the new primary, nothing restarted, the old one fenced', async () => {
    const before = await startedAt();
    const id = await accountOnShard(1);

    // A bounded load: one client writes posts to the shard-1 account until told to stop.
    const statuses = new Map<number, number>();
    const refused: number[] = []; // when each 503 came back (the client's view of the window)
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop && i < 5000; i++) {
        const res = await call('POST', `/v1/accounts/${id}/posts`, { body: { title: `p${i}`, body: '' } });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 503) {
          refused.push(performance.now());
          expect(res.body.code).toBe('API_ERR_SHARD_UNAVAILABLE');
        }
      }
    })();
    let summary: string;
    try {
      summary = await labAsync(['shard', 'promote', '1'], 150_000);
    } finally {
      stop = true;
      await load;
    }
    const window = refused.length === 0 ? 0 : Math.round(refused.at(-1)! - refused[0]!);
    console.log(
      `${summary.trim()}; writes during the promote: ${JSON.stringify(Object.fromEntries(statuses))}, ` +
        `503s seen over ${window} ms`,
    );
    expect([...statuses.keys()].every((s) => s === 201 || s === 503)).toBe(true);

    // Writes to shard 1 succeed again, and what was written before the promote is still there.
    const post = await call('POST', `/v1/accounts/${id}/posts`, { body: { title: 'after', body: '' } });
    expect(post.status).toBe(201);
    expect(post.headers.get('x-shard')).toBe('1');
    const read = await call('GET', `/v1/accounts/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(id);
    // No writer restarted.
    expect(await startedAt()).toEqual(before);

    // The old primary is fenced: started again, its entrypoint refuses and it exits.
    const old = await containerOf('pg-1-primary');
    await docker(['start', old]);
    await vi.waitFor(async () => expect(await isRunning('pg-1-primary')).toBe(false), {
      timeout: 30_000,
      interval: 250,
    });
    expect(await inspect('pg-1-primary', '{{.State.ExitCode}}')).toBe('1');
    const logs = await run('docker', ['logs', '--tail', '5', old]);
    expect(logs.stdout + logs.stderr).toMatch(/fenced/);
  }, 180_000);
});
