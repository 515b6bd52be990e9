import { execFileSync } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { GATEWAY, promQuery } from './support/http.js';
import { labAsync } from './support/lab.js';

describe('the running cluster', () => {
  it('has every container running and healthy', async () => {
    const ids = (await labAsync(['compose', 'ps', '-a', '-q'])).trim().split('\n').filter(Boolean);
    expect(ids.length).toBeGreaterThanOrEqual(23);
    const states = execFileSync('docker', ['inspect', '-f', '{{.Name}} {{.State.Health.Status}}', ...ids], {
      encoding: 'utf8',
    });
    for (const line of states.trim().split('\n')) expect(line).toMatch(/ healthy$/);
  });

  it('serves liveness, readiness and metrics at the gateway', async () => {
    expect((await fetch(`${GATEWAY}/healthz`)).status).toBe(200);
    expect((await fetch(`${GATEWAY}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${GATEWAY}/metrics`)).text();
    expect(metrics).toContain('http_request_duration_seconds_bucket');
  });

  it('is scraped by Prometheus: every service exposes /metrics and is up', async () => {
    await vi.waitFor(
      async () => {
        const up = await promQuery('up');
        const jobs = new Set(up.map((s) => s.metric.job));
        expect([...jobs].sort()).toEqual(['api', 'billing-leader', 'gateway', 'lb', 'payments', 'ratelimiter']);
        expect(up).toHaveLength(9);
        for (const s of up) expect(s.value[1], `${s.metric.instance} up`).toBe('1');
      },
      { timeout: 30_000, interval: 1000 },
    );
  });
});
