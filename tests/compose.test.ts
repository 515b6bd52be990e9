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

function config(files: string[], extra: string[] = []): { services: Record<string, Service> } {
  const [cmd, ...args] = composeCommand();
  const out = execFileSync(cmd!, [...args, ...files.flatMap((f) => ['-f', f]), ...extra, 'config'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, COMPOSE_PROFILES: ACTIVE_PROFILES.join(',') },
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
