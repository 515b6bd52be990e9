import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeEnv, composeServices } from './support/compose.js';
import { ofKind, one, render, repoRoot, type K8sObject } from './support/render.js';

type Port = { name?: string; port: number; targetPort?: number };
const spec = <T>(o: K8sObject) => o.spec as T;

describe('ServiceMonitors', () => {
  const objects = render('dev');
  type StaticConfig = { targets: string[]; labels?: Record<string, string> };
  const prom = parse(readFileSync(`${repoRoot}infra/prometheus/prometheus.yml`, 'utf8')) as {
    global: { scrape_interval: string };
    scrape_configs: {
      job_name: string;
      metrics_path: string;
      scrape_interval?: string;
      static_configs: StaticConfig[];
    }[];
  };
  type Endpoint = {
    port: string;
    path: string;
    interval: string;
    params?: { target?: string[] };
    relabelings?: { targetLabel: string; replacement?: string }[];
  };

  // One endpoint per static config (a static config with an `instance` label is one server of an
  // exporter: its endpoint names it, and passes its ?target= when prometheus.yml does).
  it.each(prom.scrape_configs.map((j) => [j.job_name, j] as const))('scrape %s as prometheus.yml does', (job, cfg) => {
    const monitor = one(objects, 'ServiceMonitor', job);
    const s = spec<{ jobLabel?: string; selector: { matchLabels: Record<string, string> }; endpoints: Endpoint[] }>(
      monitor,
    );
    const services = ofKind(objects, 'Service').filter((svc) =>
      Object.entries(s.selector.matchLabels).every(([k, v]) => svc.metadata.labels?.[k] === v),
    );
    expect(services).toHaveLength(1);
    const ports = spec<{ ports: Port[] }>(services[0]!).ports;
    expect(s.endpoints).toHaveLength(cfg.static_configs.length);
    cfg.static_configs.forEach((c, i) => {
      const e = s.endpoints[i]!;
      const relabelled = (label: string) => e.relabelings?.find((r) => r.targetLabel === label)?.replacement;
      const targetPorts = new Set(c.targets.map((t) => Number(t.split(':')[1])));
      expect(e.path).toBe(cfg.metrics_path);
      expect(e.interval).toBe(cfg.scrape_interval ?? prom.global.scrape_interval);
      expect([ports.find((p) => p.name === e.port)?.targetPort]).toEqual([...targetPorts]);
      expect(e.params?.target?.length ?? 0).toBe(c.labels?.__param_target === undefined ? 0 : 1);
      expect(relabelled('instance') !== undefined).toBe(c.labels?.instance !== undefined);
      // The same job name as compose's Prometheus: the Service's jobLabel, or a relabelling.
      expect(relabelled('job') ?? services[0]!.metadata.labels?.[s.jobLabel ?? '']).toBe(job);
    });
  });

  it('are all picked up by the lab’s Prometheus', () => {
    const selector = spec<{ serviceMonitorSelector: { matchLabels: Record<string, string> } }>(
      one(objects, 'Prometheus', 'sdl'),
    ).serviceMonitorSelector.matchLabels;
    for (const m of ofKind(objects, 'ServiceMonitor')) expect(m.metadata.labels).toMatchObject(selector);
    expect(ofKind(objects, 'ServiceMonitor')).toHaveLength(prom.scrape_configs.length);
  });
});

describe('Kafka on Strimzi', () => {
  const objects = render('dev');

  it('runs in KRaft mode: node pools with the controller role, no ZooKeeper', () => {
    const pools = ofKind(objects, 'KafkaNodePool');
    expect(pools.flatMap((p) => spec<{ roles: string[] }>(p).roles)).toContain('controller');
    expect(one(objects, 'Kafka', 'kafka').spec).not.toHaveProperty('zookeeper');
  });

  it('has a KafkaTopic for every topic the services publish and compose pre-creates', () => {
    const config = readFileSync(`${repoRoot}services/api/src/config.ts`, 'utf8');
    const fromCode = [...config.matchAll(/Topic: Type\.String\(\{[^}]*default: '([^']+)'/g)].map((m) => m[1]!);
    const fromCompose = composeEnv(composeServices().kafka!)
      .KAFKA_TOPICS!.split(',')
      .map((t) => t.split(':')[0]!);
    expect(fromCode.length).toBeGreaterThan(0);
    const topics = ofKind(objects, 'KafkaTopic').map((t) => t.metadata.name);
    expect(topics.sort()).toEqual([...new Set([...fromCode, ...fromCompose])].sort());
  });

  it('is what KAFKA_BROKERS points the api at', () => {
    const env = spec<{ template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } }>(
      one(objects, 'Deployment', 'api'),
    ).template.spec.containers[0]!.env;
    expect(env.find((e) => e.name === 'KAFKA_BROKERS')?.value).toBe('kafka-kafka-bootstrap:9092');
  });
});

describe('scaling: the scaled overlay against dev', () => {
  const dev = render('dev');
  const scaled = render('scaled');
  const replicas = (objects: K8sObject[], name: string) =>
    spec<{ replicas: number }>(one(objects, 'Deployment', name)).replicas;
  const shards = (objects: K8sObject[]) => ofKind(objects, 'Cluster');

  it('adds api nodes, gateways, limiters and an lb per zone', () => {
    expect(replicas(scaled, 'api')).toBeGreaterThan(replicas(dev, 'api'));
    expect(replicas(scaled, 'gateway')).toBeGreaterThan(1);
    const lb = spec<{ template: { spec: { topologySpreadConstraints: { topologyKey: string }[] } } }>(
      one(scaled, 'Deployment', 'lb'),
    );
    expect(lb.template.spec.topologySpreadConstraints.map((t) => t.topologyKey)).toContain(
      'topology.kubernetes.io/zone',
    );
  });

  it('adds shards, each a primary with streaming replicas', () => {
    expect(shards(scaled).length).toBeGreaterThan(shards(dev).length);
    for (const c of shards(scaled)) expect(spec<{ instances: number }>(c).instances).toBeGreaterThanOrEqual(2);
  });

  it('keeps what is single by design: two billing replicas (one leader), one limiter Redis, three etcd', () => {
    for (const objects of [dev, scaled]) {
      expect(replicas(objects, 'billing-leader')).toBe(2);
      expect(spec<{ replicas: number }>(one(objects, 'StatefulSet', 'redis-limiter')).replicas).toBe(1);
      expect(spec<{ replicas: number }>(one(objects, 'StatefulSet', 'etcd')).replicas).toBe(3);
    }
  });

  it('has PodDisruptionBudgets for the api nodes and the billing replicas', () => {
    for (const objects of [dev, scaled]) {
      for (const name of ['api', 'billing-leader']) {
        const pdb = spec<{ maxUnavailable: number; selector: { matchLabels: Record<string, string> } }>(
          one(objects, 'PodDisruptionBudget', name),
        );
        expect(pdb.selector.matchLabels['app.kubernetes.io/name']).toBe(name);
        expect(pdb.maxUnavailable).toBe(1);
      }
    }
  });
});
