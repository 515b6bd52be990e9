import { API_NODES, chaos, execIn, inside, isRunning } from '@sdl/compose';
import type { Rollback } from '../experiment/schema.js';
import type { Executor } from './timeline.js';

const BILLING_REPLICAS = ['billing-leader-1', 'billing-leader-2'];
const LOCK_REDIS = ['redis-lock-1', 'redis-lock-2', 'redis-lock-3'];

async function expectOk(res: { status: number; text: string }, what: string): Promise<void> {
  if (res.status < 200 || res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text.slice(0, 200)}`);
}

/**
 * Steps against the compose cluster: Docker verbs through @sdl/compose (the docker CLI on the
 * container compose labelled), and the lab's knobs through each service's admin port from inside
 * its container: `lb.strategy` (null = back to the strategy found first), `payments.FLAG` (the
 * provider's fault flags; null = all reset), `billing.FIELD` (every running replica; null = reset),
 * `api.FIELD` (every running api node's `/admin/settings`, e.g. `api.partitionMode`; null = back
 * to its environment), `cache.flush` (FLUSHALL on the cache Redis: every key cold at once; null = nothing),
 * `limiter.failMode` (open|closed while the limiter's Redis fails; null = back to FAIL_MODE),
 * `lockRedis.persistence` (none|rdb|aof-everysec|aof-always on redis-lock-1..3, kept across their
 * restarts by infra/redis/set-persistence.sh; null = back to REDIS_PERSISTENCE),
 * `shardN.syncMode` (off|remote_write|on|remote_apply: shard N's synchronous replication, switched
 * by infra/postgres/sync-replication.sh inside pg-N-primary as `./lab shard sync-mode` does; null =
 * back to that container's PG_SYNC_REPLICATION).
 */
export function createLabExecutor(): Executor {
  let firstStrategy: string | undefined;
  async function knob(name: string, value: unknown): Promise<void> {
    const [scope, field] = name.split('.') as [string, string];
    if (scope === 'lb') {
      if (firstStrategy === undefined) {
        const state = JSON.parse((await inside('lb', 9901, 'GET', '/admin/lb')).text) as { strategy?: string };
        firstStrategy = state.strategy;
      }
      const strategy = value ?? firstStrategy;
      await expectOk(await inside('lb', 9901, 'PUT', '/admin/lb/strategy', { strategy }), name);
    } else if (scope === 'payments') {
      const res =
        value === null
          ? await inside('payments', 3012, 'DELETE', '/admin/faults')
          : await inside('payments', 3012, 'PUT', '/admin/faults', { [field]: value });
      await expectOk(res, name);
    } else if (scope === 'billing') {
      for (const replica of BILLING_REPLICAS) {
        if (!(await isRunning(replica))) continue;
        const res =
          value === null
            ? await inside(replica, 3003, 'DELETE', '/admin/billing')
            : await inside(replica, 3003, 'PUT', '/admin/billing', { [field]: value });
        await expectOk(res, `${name} on ${replica}`);
      }
    } else if (scope === 'api') {
      // Every running api node's run-time settings (src/run-time-settings.ts); null = its environment's.
      for (const node of API_NODES) {
        if (!(await isRunning(node))) continue;
        const res =
          value === null
            ? await inside(node, 9902, 'DELETE', '/admin/settings')
            : await inside(node, 9902, 'PUT', '/admin/settings', { [field]: value });
        await expectOk(res, `${name} on ${node}`);
      }
    } else if (name === 'limiter.failMode') {
      await expectOk(await inside('ratelimiter', 3001, 'PUT', '/admin/fail-mode', { failMode: value }), name);
    } else if (/^shard\d+$/.test(scope) && field === 'syncMode') {
      // null: the mode the container was started with (its PG_SYNC_REPLICATION), read in its own shell.
      const args =
        value === null
          ? ['bash', '-c', 'bash /infra/postgres/sync-replication.sh "${PG_SYNC_REPLICATION:-off}"']
          : ['bash', '/infra/postgres/sync-replication.sh', String(value)];
      await execIn(`pg-${scope.slice('shard'.length)}-primary`, args);
    } else if (name === 'lockRedis.persistence') {
      // Each voter switched now and at its next start (infra/redis/set-persistence.sh leaves the mode
      // in its volume: persistence.sh would otherwise restart it as REDIS_PERSISTENCE, for none empty).
      const arg = value === null ? '--reset' : String(value);
      for (const redis of LOCK_REDIS) await execIn(redis, ['sh', '/infra/redis/set-persistence.sh', arg]);
    } else if (name === 'cache.flush') {
      // Every entry of the cache Redis gone at once (the reset, value null, has nothing to undo).
      if (value !== null) await execIn('redis-cache', ['redis-cli', 'FLUSHALL']);
    } else throw new Error(`unknown knob '${name}'`);
  }
  return {
    async run(step: Rollback) {
      if (step.action === 'knob') await knob(step.knob, step.value);
      else await chaos(step.action, step.service, step.network);
    },
  };
}
