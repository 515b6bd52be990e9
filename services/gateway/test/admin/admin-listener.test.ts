import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../support/servers.js';

const KEY = 'admin-test-key';

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await request(url, { headers, headersTimeout: 5000, bodyTimeout: 5000 });
  return { status: res.statusCode, text: await res.body.text() };
}

// Metrics and probes on a second listener (ADMIN_PORT, unpublished in compose, scraped by
// Prometheus); the public listener serves neither metrics nor anything administrative.
describe('the admin listener', () => {
  let edge: Edge | undefined;

  beforeAll(async () => {
    edge = await startEdge({ API_KEYS: `admin:${KEY}` });
  });
  afterAll(async () => {
    await edge?.close();
  });

  it('serves no /metrics on the public listener, with or without a key', async () => {
    const { gateway, upstream } = edge!;
    const before = upstream.seen.length;
    const variants: Record<string, string>[] = [{}, { 'x-api-key': KEY }];
    for (const headers of variants) {
      const res = await get(`${gateway.url}/metrics`, headers);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.text)).toMatchObject({ code: 'ERR_NOT_FOUND' });
    }
    expect(upstream.seen.length).toBe(before);
  });

  it('serves the metrics, liveness and readiness on the admin listener, and proxies nothing there', async () => {
    const { gateway, upstream } = edge!;
    expect((await get(`${gateway.url}/v1/echo`, { 'x-api-key': KEY })).status).toBe(200);
    const refused = await request(`${gateway.url}/v1/echo`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: '{"a":1,"a":2}',
    });
    expect(refused.statusCode).toBe(400);
    await refused.body.dump();

    const metrics = await get(`${gateway.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/gateway_proxied_total\{status_class="2xx"[^}]*\} 1\n/);
    expect(metrics.text).toMatch(/gateway_refused_total\{code="GW_ERR_JSON_DUPLICATE_KEY"[^}]*\} 1\n/);
    expect((await get(`${gateway.adminUrl}/healthz`)).status).toBe(200);
    expect((await get(`${gateway.adminUrl}/readyz`)).status).toBe(200);
    const before = upstream.seen.length;
    expect((await get(`${gateway.adminUrl}/v1/echo`, { 'x-api-key': KEY })).status).toBe(404);
    expect(upstream.seen.length).toBe(before);
  });
});
