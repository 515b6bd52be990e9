import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEdge, type Edge } from '../support/servers.js';

// The per-tenant in-flight cap: a tenant whose requests hang (the stand-in lb never answers
// /v1/slow) is refused beyond TENANT_MAX_IN_FLIGHT, another tenant is not, and the slots come back
// when the hung requests end.
describe('per-tenant concurrency at the edge', () => {
  let edge: Edge | undefined;

  beforeAll(async () => {
    edge = await startEdge({ API_KEYS: 'alpha:alpha-key,bravo:bravo-key', TENANT_MAX_IN_FLIGHT: '2' });
  });
  afterAll(async () => {
    await edge?.close();
  });

  const get = async (path: string, key: string, signal?: AbortSignal) => {
    const res = await request(`${edge!.gateway.url}${path}`, {
      headers: { 'x-api-key': key },
      headersTimeout: 10_000,
      ...(signal === undefined ? {} : { signal }),
    });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  it('refuses a tenant beyond its in-flight cap, serves the others, and frees the slots when requests end', async () => {
    const { upstream } = edge!;
    const hang = new AbortController();
    const before = upstream.seen.length;
    const hung = [get('/v1/slow', 'alpha-key', hang.signal), get('/v1/slow', 'alpha-key', hang.signal)].map((p) =>
      p.catch(() => undefined),
    );
    await vi.waitFor(() => expect(upstream.seen.length).toBe(before + 2), { timeout: 10_000, interval: 20 });

    const refused = await get('/v1/echo', 'alpha-key');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.text)).toMatchObject({ code: 'GW_ERR_TENANT_CONCURRENCY', retriable: true });
    expect((await get('/v1/echo', 'bravo-key')).status).toBe(200);

    hang.abort();
    await Promise.all(hung);
    await vi.waitFor(async () => expect((await get('/v1/echo', 'alpha-key')).status).toBe(200), {
      timeout: 10_000,
      interval: 50,
    });
  });
});
