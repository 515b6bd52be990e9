import { describe, expect, it, vi } from 'vitest';
import { accountEvent } from './support/cluster-calls.js';
import { call } from './support/http.js';
import { chaos, getAllFrom, waitHealthy } from './support/lab.js';

const NODES = ['api-1', 'api-2', 'api-3'];

/**
 * Which api node holds each shard's relay lock (`api_outbox_relay_leader{shard} 1`), from every
 * answering node's /metrics read at the same moment (one after the other, a hand-over between two
 * reads could show a shard with two holders or none).
 */
async function relayLeaders(): Promise<Map<string, string[]>> {
  const leaders = new Map<string, string[]>();
  const texts = await getAllFrom(
    NODES,
    NODES.map((node) => `http://${node}:3000/metrics`),
  );
  texts.forEach((text, i) => {
    for (const [, shard] of (text ?? '').matchAll(/^api_outbox_relay_leader\{[^}]*shard="(\d+)"[^}]*\} 1$/gm)) {
      leaders.set(shard!, [...(leaders.get(shard!) ?? []), NODES[i]!]);
    }
  });
  return leaders;
}

describe('one outbox relay per shard across the cluster (Redlock over redis-lock-1..3)', () => {
  it('has exactly one relay leader per shard, and another node takes a shard over when its leader is killed', async () => {
    let leaders = new Map<string, string[]>();
    await vi.waitFor(
      async () => {
        leaders = await relayLeaders();
        expect([...leaders.keys()].sort()).toEqual(['0', '1']);
        for (const holders of leaders.values()) expect(holders).toHaveLength(1);
      },
      { timeout: 30_000, interval: 1000 },
    );
    const victim = leaders.get('0')![0]!;
    const reader = NODES.find((n) => n !== victim)!;
    await chaos('kill', victim);
    try {
      // The victim's locks lapse within OUTBOX_LOCK_TTL_MS (5 s); survivors take them and relay.
      await vi.waitFor(
        async () => {
          const now = await relayLeaders();
          expect([...now.keys()].sort()).toEqual(['0', '1']);
          for (const holders of now.values()) {
            expect(holders).toHaveLength(1);
            expect(holders[0]).not.toBe(victim);
          }
        },
        { timeout: 30_000, interval: 1000 },
      );
      // An account on shard 0: its event can only be published by the new leader.
      let created = await call('POST', '/v1/accounts', { body: { email: 'o@example.com', name: 'O' } });
      for (let i = 0; created.headers.get('x-shard') !== '0' && i < 32; i++) {
        created = await call('POST', '/v1/accounts', { body: { email: `o${i}@example.com`, name: 'O' } });
      }
      expect(created.headers.get('x-shard')).toBe('0');
      expect((await accountEvent(String(created.body.id), reader)).key).toBe(String(created.body.id));
    } finally {
      await chaos('start', victim);
      await waitHealthy(victim);
    }
  }, 180_000);
});
