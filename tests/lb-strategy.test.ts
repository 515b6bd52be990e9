import { afterAll, describe, expect, it } from 'vitest';
import { call } from './support/http.js';
import { labAsync } from './support/lab.js';

interface LbState {
  strategy: string;
  code?: string;
}

async function lb(args: string[]): Promise<LbState> {
  return JSON.parse(await labAsync(['lb', ...args])) as LbState;
}

async function lbFails(args: string[]): Promise<LbState> {
  try {
    await labAsync(['lb', ...args]);
  } catch (err) {
    return JSON.parse((err as { stdout: string }).stdout) as LbState;
  }
  throw new Error(`./lab lb ${args.join(' ')} should have failed`);
}

describe('switching the lb strategy at run time (./lab lb strategy)', () => {
  afterAll(async () => {
    await lb(['strategy', 'round-robin']);
  });

  it('pins a hash key to one api node under rendezvous hashing, and spreads keys across nodes', async () => {
    expect((await lb(['strategy', 'rendezvous', 'header:x-shard-key'])).strategy).toBe('rendezvous');
    const owners = new Map<string, Set<string>>();
    for (let k = 0; k < 12; k++) {
      for (let i = 0; i < 3; i++) {
        const res = await call('GET', '/v1/whoami', { headers: { 'x-shard-key': `key-${k}` } });
        expect(res.status).toBe(200);
        const set = owners.get(`key-${k}`) ?? new Set<string>();
        set.add(res.headers.get('x-upstream') ?? '?');
        owners.set(`key-${k}`, set);
      }
    }
    for (const set of owners.values()) expect(set.size).toBe(1);
    const nodes = new Set([...owners.values()].flatMap((s) => [...s]));
    expect(nodes.size).toBeGreaterThan(1);
  });

  it('refuses an unknown strategy with a code and keeps the running one', async () => {
    await lb(['strategy', 'least-request']);
    const refused = await lbFails(['strategy', 'telepathy']);
    expect(refused.code).toBe('LB_ERR_UNKNOWN_STRATEGY');
    expect((await lb(['show'])).strategy).toBe('least-request');
    for (let i = 0; i < 10; i++) expect((await call('GET', '/v1/whoami')).status).toBe(200);
  });
});
