import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeEnv, composeServices } from './support/compose.js';
import { ofKind, one, render, repoRoot, type K8sObject } from './support/render.js';

type Port = { name?: string; port: number; targetPort?: number };
const spec = <T>(o: K8sObject) => o.spec as T;

describe('ServiceMonitors', () => {
  const objects = render('dev');
  const prom = parse(readFileSync(`${repoRoot}infra/prometheus/prometheus.yml`, 'utf8')) as {
    scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
  };

  it.each(prom.scrape_configs.map((j) => [j.job_name, j] as const))('scrape %s as prometheus.yml does', (job, cfg) => {
    const monitor = one(objects, 'ServiceMonitor', job);
    const s = spec<{ selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] }>(
      monitor,
    );
    const services = ofKind(objects, 'Service').filter((svc) =>
      Object.entries(s.selector.matchLabels).every(([k, v]) => svc.metadata.labels?.[k] === v),
    );
    expect(services).toHaveLength(1);
    const ports = spec<{ ports: Port[] }>(services[0]!).ports;
    const targetPorts = new Set(cfg.static_configs.flatMap((c) => c.targets.map((t) => Number(t.split(':')[1]))));
    expect(s.endpoints).toHaveLength(1);
    expect(s.endpoints[0]!.path).toBe(cfg.metrics_path);
    expect([ports.find((p) => p.name === s.endpoints[0]!.port)?.targetPort]).toEqual([...targetPorts]);
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
