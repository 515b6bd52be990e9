import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { call } from './support/http.js';
import { containerOf, docker } from './support/lab.js';

// The three hops of a request, every api node (the lb picks one).
const HOPS = ['gateway', 'lb', 'api-1', 'api-2', 'api-3'] as const;
const OPENED = 'access log: every request (SIGUSR2)';

type Line = Record<string, unknown>;

/** A service's pino lines since `since` (RFC 3339), read with `docker logs`. */
async function linesOf(service: string, since: string): Promise<Line[]> {
  const out = await docker(['logs', '--since', since, await containerOf(service)]);
  const lines: Line[] = [];
  for (const text of out.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as Line);
    } catch {
      // a line cut by the read: not one of ours
    }
  }
  return lines;
}

describe('one x-request-id followed through the gateway, lb and api logs', () => {
  it('finds the caller id in the access line of each hop, on the api node that served it only', async () => {
    // Per-request lines are off by default (ACCESS_LOG=errors: the hot path stays quiet);
    // SIGUSR2 turns them on for a minute in the running containers, without a restart.
    const since = new Date().toISOString();
    for (const service of HOPS) await docker(['kill', '--signal', 'SIGUSR2', await containerOf(service)]);
    await vi.waitFor(
      async () => {
        for (const service of HOPS) {
          expect(
            (await linesOf(service, since)).some((l) => l.msg === OPENED),
            service,
          ).toBe(true);
        }
      },
      { timeout: 30_000, interval: 250 },
    );

    const id = `e2e-trace-${randomUUID()}`;
    const created = await call('POST', '/v1/accounts', {
      body: { email: 'trace@example.com', name: 'Trace' },
      headers: { 'x-request-id': id },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-request-id')).toBe(id);
    const served = created.headers.get('x-upstream') ?? '';
    expect(served).toMatch(/^api-[123]$/);

    const withId = async (service: string) => (await linesOf(service, since)).filter((l) => l.reqId === id);
    await vi.waitFor(
      async () => {
        expect(await withId('gateway')).toContainEqual(
          expect.objectContaining({
            msg: 'request done',
            statusCode: 201,
            req: expect.objectContaining({ method: 'POST', url: '/v1/accounts' }),
          }),
        );
        expect(await withId('lb')).toContainEqual(
          expect.objectContaining({ msg: 'request done', statusCode: 201, upstream: served, url: '/v1/accounts' }),
        );
        expect(await withId(served)).toContainEqual(
          expect.objectContaining({ msg: 'request done', statusCode: 201, node: served }),
        );
      },
      { timeout: 20_000, interval: 250 },
    );
    for (const other of HOPS.filter((s) => s.startsWith('api-') && s !== served)) {
      expect(await withId(other), other).toEqual([]);
    }
  });
});
