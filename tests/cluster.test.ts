import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { call, GATEWAY, PROMETHEUS, promQuery } from './support/http.js';
import { execIn, labAsync, waitReady } from './support/lab.js';

describe('the running cluster', () => {
  it('has every container running, each passing its own healthcheck', async () => {
    const ids = (await labAsync(['compose', 'ps', '-a', '-q'])).trim().split('\n').filter(Boolean);
    expect(ids.length).toBeGreaterThanOrEqual(23);
    // `./lab ready` runs each container's own healthcheck now and fails if any does not pass.
    // Docker's status is not asserted: it runs the checks every HEALTH_INTERVAL (300 s), so it can
    // still say `unhealthy` for a container an earlier test paused, or `starting` after a restart.
    await waitReady([]);
    const states = execFileSync('docker', ['inspect', '-f', '{{.Name}} {{.State.Status}}', ...ids], {
      encoding: 'utf8',
    });
    for (const line of states.trim().split('\n')) expect(line).toMatch(/ running$/);
  });

  it('serves liveness and readiness at the gateway, and its metrics on the admin listener only', async () => {
    expect((await fetch(`${GATEWAY}/healthz`)).status).toBe(200);
    expect((await fetch(`${GATEWAY}/readyz`)).status).toBe(200);
    expect((await fetch(`${GATEWAY}/metrics`)).status).toBe(404);
    const script = "fetch('http://127.0.0.1:9080/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))";
    const metrics = await execIn('gateway', ['node', '-e', script]);
    expect(metrics).toContain('http_request_duration_seconds_bucket');
  });

  it('is scraped by Prometheus: every service exposes /metrics and is up (etcd and the exporters too)', async () => {
    await vi.waitFor(
      async () => {
        const up = await promQuery('up');
        const jobs = new Set(up.map((s) => s.metric.job));
        expect([...jobs].sort()).toEqual([
          'api',
          'billing-leader',
          'console',
          'etcd',
          'gateway',
          'lb',
          'payments',
          'postgres',
          'ratelimiter',
          'redis',
        ]);
        // 10 service targets, 3 etcd members, 5 Redis and 4 Postgres (tests/exporters.test.ts)
        expect(up).toHaveLength(22);
        for (const s of up) expect(s.value[1], `${s.metric.instance} up`).toBe('1');
      },
      { timeout: 30_000, interval: 1000 },
    );
  });

  it('has only valid queries on known metrics in the Grafana dashboards (checked against this Prometheus)', async () => {
    const dir = new URL('../infra/grafana/dashboards/', import.meta.url);
    const exprs = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap(
        (f) =>
          (JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as { panels: { targets: { expr: string }[] }[] }).panels,
      )
      .flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    const metricNames = (expr: string): string[] =>
      [
        ...expr.matchAll(
          // `up` alone: the label `upstream` (the lb's) is no metric.
          /\b(?:(?:api|http|process|nodejs|gateway|lb|ratelimiter|billing|payments)[a-z_]*|up)\b(?=[{[\s)=]|$)/g,
        ),
      ].map(([name]) => name);
    const known = (names: Set<string>, name: string): boolean =>
      names.has(name) || names.has(`${name.replace(/_(bucket|count|sum)$/, '')}_bucket`);
    // A labelled series exists only once something happened (a cache miss, a fill, an event): on a
    // fresh cluster, make it happen, then wait until Prometheus has scraped every series the panels name.
    const created = await call('POST', '/v1/accounts', { body: { email: 'dashboards@example.com', name: 'Dash' } });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    const post = await call('POST', `/v1/accounts/${id}/posts`, { body: { title: 'Dashboards', body: 'every panel' } });
    expect(post.status).toBe(201);
    const names = await vi.waitFor(
      async () => {
        // A view is written back by the next flush (api_view_flush_posts_total).
        await call('POST', `/v1/accounts/${id}/posts/${String(post.body.id)}/views`);
        await call('GET', `/v1/accounts/${id}`);
        await call('GET', '/v1/accounts/acc_0000000000ZZZZZZZZZZZZZZZZ');
        await call('GET', `/v1/accounts/${id}/posts`);
        const res = (await (await fetch(`${PROMETHEUS}/api/v1/label/__name__/values`)).json()) as { data: string[] };
        const seen = new Set(res.data);
        const missing = exprs.flatMap(metricNames).filter((name) => !known(seen, name));
        expect([...new Set(missing)], 'metrics no scrape has shown yet').toEqual([]);
        return seen;
      },
      { timeout: 60_000, interval: 2000 },
    );
    for (const expr of exprs) {
      const res = await fetch(
        `${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(expr.replaceAll('$__rate_interval', '1m'))}`,
      );
      expect(res.status, expr).toBe(200);
      // Every metric a panel names is one Prometheus has seen (a typo would leave the panel empty).
      for (const name of metricNames(expr)) expect(known(names, name), `${name} in ${expr}`).toBe(true);
    }
  });
});
