import { GamedayError } from '../experiment/experiment-error.js';
import type { Client } from './http-client.js';
import type { Workload } from './workload.js';

/**
 * Before the run: `accounts` accounts with one post each per API key, so the reads of the first
 * second have something to read. Seeded writes are acknowledged writes too (the oracle reads them
 * back). Refuses to go on (the run could not start) when the cluster does not take them.
 */
export async function seed(
  workload: Workload,
  client: Client,
  keys: readonly string[],
  accounts: number,
): Promise<void> {
  const failures: string[] = [];
  for (const key of keys) {
    for (let i = 0; i < accounts; i++) {
      for (const op of ['account.create', 'post.create'] as const) {
        const request = workload.plan(op, key);
        if (request === undefined) continue;
        const sent = await client.send(request);
        if (sent.outcome === 'ok' && sent.answer !== undefined) request.acknowledged?.(sent.answer);
        else failures.push(`${request.method} ${request.path}: ${sent.outcome}`);
      }
    }
  }
  if (failures.length > 0) {
    const issues = failures.slice(0, 10).map((message) => ({ path: 'seed', message }));
    throw new GamedayError('GAMEDAY_ERR_USAGE', `the cluster refused ${failures.length} seeding writes`, issues);
  }
}
