import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));

function composeCommand(): string[] {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    return ['docker', 'compose'];
  } catch {
    return ['docker-compose'];
  }
}

type Service = Record<string, unknown> & { image?: string; build?: unknown; ports?: unknown[]; profiles?: string[] };

/** The profiles these tests turn on: the dashboards are part of the topology; `load` (k6, run on demand) is not. */
const ACTIVE_PROFILES = ['dashboards'];

function config(
  files: string[],
  extra: string[] = [],
  env: Record<string, string | undefined> = {},
): { services: Record<string, Service> } {
  const [cmd, ...args] = composeCommand();
  const out = execFileSync(cmd!, [...args, ...files.flatMap((f) => ['-f', f]), ...extra, 'config'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, COMPOSE_PROFILES: ACTIVE_PROFILES.join(','), ...env },
  });
  const parsed = parse(out) as { services: Record<string, Service> };
  // docker-compose 1.29's `config` prints every service, whatever the active profiles; Compose v2
  // prints only the active ones. Keep what v2 shows: a service of an inactive profile is not started.
  for (const [name, svc] of Object.entries(parsed.services)) {
    if (svc.profiles !== undefined && !svc.profiles.some((p) => ACTIVE_PROFILES.includes(p)))
      delete parsed.services[name];
  }
  // docker-compose 1.29 prints a service's network as `null` from one file and `{}` once an override
  // merges in: the same attachment, written two ways.
  for (const svc of Object.values(parsed.services)) {
    const networks = svc.networks;
    if (networks !== null && typeof networks === 'object' && !Array.isArray(networks)) {
      svc.networks = Object.fromEntries(Object.entries(networks).map(([name, value]) => [name, value ?? {}]));
    }
  }
  return parsed;
}

/** A healthcheck interval as compose prints it ("245s" from 1.29, "4m5s" from v2), in seconds. */
function seconds(duration: unknown): number {
  const parts = [...String(duration).matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  expect(parts.length, `a duration: ${String(duration)}`).toBeGreaterThan(0);
  const unit = { h: 3600, m: 60, s: 1, ms: 0.001 } as const;
  return parts.reduce((sum, [, n, u]) => sum + Number(n) * unit[u as keyof typeof unit], 0);
}

const intervals = (services: Record<string, Service>): Map<string, number> =>
  new Map(
    Object.entries(services).map(([name, svc]) => [
      name,
      seconds((svc.healthcheck as { interval?: unknown } | undefined)?.interval),
    ]),
  );

function publishedHostIps(service: Service): string[] {
  return (service.ports ?? []).map((p) =>
    typeof p === 'string' ? p.split(':')[0]! : String((p as { host_ip?: string }).host_ip ?? '0.0.0.0'),
  );
}

describe('docker-compose.yml', () => {
  const base = config(['docker-compose.yml']);
  const offline = config(['docker-compose.yml', 'docker-compose.offline.yml']);

  it('is valid for this machine’s compose', () => {
    const [cmd, ...args] = composeCommand();
    execFileSync(cmd!, [...args, '-f', 'docker-compose.yml', '-f', 'docker-compose.offline.yml', 'config', '-q'], {
      cwd: root,
    });
  });

  it('holds the whole topology', () => {
    expect(Object.keys(base.services).sort()).toEqual(
      [
        'gateway',
        'lb',
        'ratelimiter',
        'payments',
        'console',
        'api-1',
        'api-2',
        'api-3',
        'billing-leader-1',
        'billing-leader-2',
        'pg-0-primary',
        'pg-0-replica',
        'pg-1-primary',
        'pg-1-replica',
        'redis-cache',
        'redis-limiter',
        'redis-lock-1',
        'redis-lock-2',
        'redis-lock-3',
        'etcd-1',
        'etcd-2',
        'etcd-3',
        'kafka',
        'prometheus',
        'redis-exporter',
        'postgres-exporter',
        'grafana',
      ].sort(),
    );
    for (const [name, svc] of Object.entries(base.services)) {
      expect(svc.healthcheck, `${name} has a healthcheck`).toBeDefined();
    }
  });

  // Compose starts every container within seconds, and Docker runs a container's first check one
  // interval after its start: with one shared interval, all the checks (an exec through dockerd,
  // containerd and runc each) ran in the same few seconds every 5 minutes and stalled the request
  // path there (docs/benchmarks.md). Intervals 5 s apart spread them and keep them apart.
  it('gives each container its own healthcheck interval, about 5 minutes, unless HEALTH_INTERVAL sets one for all', () => {
    const own = intervals(config(['docker-compose.yml'], [], { HEALTH_INTERVAL: undefined }).services);
    expect(new Set(own.values()).size, JSON.stringify([...own])).toBe(own.size);
    const sorted = [...own.values()].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(5);
    for (const [name, s] of own) {
      expect(s, name).toBeGreaterThanOrEqual(240);
      expect(s, name).toBeLessThanOrEqual(370);
    }
    const set = intervals(config(['docker-compose.yml'], [], { HEALTH_INTERVAL: '30s' }).services);
    expect([...new Set(set.values())]).toEqual([30]);
  });

  it('publishes only the gateway, the dashboards and the console, on 127.0.0.1', () => {
    const published = Object.entries(base.services).filter(([, s]) => (s.ports ?? []).length > 0);
    expect(published.map(([n]) => n).sort()).toEqual(['console', 'gateway', 'grafana', 'prometheus']);
    for (const [, svc] of published) for (const ip of publishedHostIps(svc)) expect(ip).toBe('127.0.0.1');
  });

  it('offline override swaps images only: same services, same wiring', () => {
    expect(Object.keys(offline.services).sort()).toEqual(Object.keys(base.services).sort());
    let swapped = 0;
    for (const [name, svc] of Object.entries(base.services)) {
      const other = offline.services[name]!;
      const { image: imageA, build: buildA, ...restA } = svc;
      const { image: imageB, build: buildB, ...restB } = other;
      expect(restB, `${name}: only image/build may differ`).toEqual(restA);
      if (imageA !== imageB || JSON.stringify(buildA) !== JSON.stringify(buildB)) swapped++;
    }
    // Every image but Grafana's (no Debian package) has an offline counterpart.
    expect(swapped).toBe(Object.keys(base.services).length - 1);
  });
});
