import { retry } from '@sdl/retry';
import type { Client, Sent } from '../load/http-client.js';
import type { AcknowledgedWrite } from '../load/workload.js';
import type { OracleResult } from './oracle.js';

const READ_PATH: Record<AcknowledgedWrite['kind'], (w: AcknowledgedWrite) => string> = {
  account: (w) => `/v1/accounts/${w.id}`,
  post: (w) => `/v1/accounts/${(w as { accountId: string }).accountId}/posts/${w.id}`,
  subscription: (w) => `/v1/accounts/${(w as { accountId: string }).accountId}/subscriptions/${w.id}`,
};

class Unavailable extends Error {
  readonly code = 'GAMEDAY_ERR_READ_BACK_UNAVAILABLE';
}

/** Reads one write back with its tenant's key; 5xx and transport errors are retried (the cluster may still settle). */
async function readBack(client: Client, write: AcknowledgedWrite): Promise<Sent> {
  const request = {
    operation: 'account.read',
    routeClass: 'read',
    key: write.key,
    method: 'GET',
    path: READ_PATH[write.kind](write),
  } as const;
  try {
    return await retry(
      async () => {
        const sent = await client.send(request);
        if (sent.status === 0 || sent.status >= 500) throw new Unavailable(sent.outcome);
        return sent;
      },
      { attempts: 5, minMs: 500, maxMs: 4000 },
    );
  } catch (err) {
    return { outcome: err instanceof Unavailable ? err.message : 'error', status: 0 };
  }
}

/** The fields the write set that the read must show unchanged. */
function differences(write: AcknowledgedWrite, answer: Record<string, unknown> | undefined): string[] {
  return Object.entries(write.written).flatMap(([field, value]) =>
    answer?.[field] === value
      ? []
      : [`${field}: wrote ${JSON.stringify(value)}, read ${JSON.stringify(answer?.[field])}`],
  );
}

/**
 * no-acknowledged-write-lost: every write the cluster answered 2xx during the run (and the seed) is
 * read back through the gateway, with the key that made it, after the rollbacks: it must be there
 * (200) with what was written. 404 = lost; a different value = changed; still 5xx after retries =
 * unreadable (also a failure: the oracle could not show it is there).
 */
export async function noAcknowledgedWriteLost(
  client: Client,
  writes: readonly AcknowledgedWrite[],
): Promise<OracleResult> {
  const lost: unknown[] = [];
  const changed: unknown[] = [];
  const unreadable: unknown[] = [];
  const queue = [...writes];
  const worker = async () => {
    for (let write = queue.shift(); write !== undefined; write = queue.shift()) {
      const sent = await readBack(client, write);
      const where = { kind: write.kind, id: write.id, key: write.key };
      if (sent.status === 200) {
        const diff = differences(write, sent.answer);
        if (diff.length > 0) changed.push({ ...where, diff });
      } else if (sent.status === 404) lost.push(where);
      else unreadable.push({ ...where, outcome: sent.outcome });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const byKind = Object.fromEntries(
    (['account', 'post', 'subscription'] as const).map((k) => [k, writes.filter((w) => w.kind === k).length]),
  );
  const bad = lost.length + changed.length + unreadable.length;
  return {
    name: 'no-acknowledged-write-lost',
    verdict: writes.length > 0 && bad === 0 ? 'pass' : 'fail',
    summary:
      writes.length === 0
        ? 'no acknowledged write to check (the run wrote nothing)'
        : `${writes.length - bad} of ${writes.length} acknowledged writes read back intact; ${lost.length} lost, ${changed.length} changed, ${unreadable.length} unreadable`,
    evidence: {
      checked: writes.length,
      byKind,
      lost: lost.slice(0, 50),
      changed: changed.slice(0, 50),
      unreadable: unreadable.slice(0, 50),
    },
  };
}
