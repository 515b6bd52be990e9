import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Component } from './components.js';
import { composeEnv, composeServices, hostsIn } from './compose.js';
import { repoRoot } from './render.js';

/** Who connects to whom, between components, and on which port (undefined: the address had none). */
export type Edge = { from: string; to: string; port?: number; why: string };

/**
 * Edges no compose URL names, each with its reason. Everything else is derived from the files the
 * compose cluster runs on, so the expected edges move when they do.
 */
const UNNAMED_EDGES: Edge[] = [
  { from: 'lb', to: 'api', port: 3000, why: 'api nodes register ADVERTISE_URL in etcd; the lb watches the registry' },
  { from: 'kafka', to: 'kafka', port: 9090, why: 'KRaft controller quorum between Strimzi nodes' },
  { from: 'kafka', to: 'kafka', port: 9091, why: 'replication between Strimzi brokers' },
];

/** The architecture's edges between the components of one rendered overlay. */
export function architectureEdges(components: Map<string, Component>): Edge[] {
  const compose = composeServices();
  const names = Object.keys(compose);
  const owner = new Map<string, string>();
  for (const c of components.values()) for (const s of c.composeServices) owner.set(s, c.name);
  const of = (service: string): string => {
    const c = owner.get(service);
    if (!c) throw new Error(`compose service ${service} has no Kubernetes component`);
    return c;
  };

  const edges: Edge[] = [...UNNAMED_EDGES];
  // 1. What each compose service dials: the addresses in its environment and command.
  for (const [name, svc] of Object.entries(compose)) {
    const command = Array.isArray(svc.command) ? svc.command.join('\n') : (svc.command ?? '');
    const text = [...Object.values(composeEnv(svc)), command].join('\n');
    for (const t of hostsIn(text, names)) {
      if (t.host === name) continue; // its own address (advertised, listened on)
      edges.push({
        from: of(name),
        to: of(t.host),
        port: t.port,
        why: `${name} names ${t.host} in docker-compose.yml`,
      });
    }
  }
  // 1b. The shard URLs carry a password, so they are Compose secrets ./lab writes: one URL per
  // pg-N-primary (SHARD_PRIMARIES_FILE) or pg-N-replica (SHARD_REPLICAS_FILE) service, port 5432.
  const shardFiles = { SHARD_PRIMARIES_FILE: /^pg-\d+-primary$/, SHARD_REPLICAS_FILE: /^pg-\d+-replica$/ };
  for (const [name, svc] of Object.entries(compose)) {
    for (const [key, pattern] of Object.entries(shardFiles)) {
      if (composeEnv(svc)[key] === undefined) continue;
      for (const host of names.filter((n) => pattern.test(n))) {
        edges.push({ from: of(name), to: of(host), port: 5432, why: `${name} reads ${host}'s URL from ${key}` });
      }
    }
  }
  // 2. Prometheus scrapes the targets of its configuration.
  const prom = parse(readFileSync(`${repoRoot}infra/prometheus/prometheus.yml`, 'utf8')) as {
    scrape_configs: { static_configs: { targets: string[]; labels?: Record<string, string> }[] }[];
  };
  for (const config of prom.scrape_configs.flatMap((j) => j.static_configs)) {
    for (const target of config.targets) {
      for (const t of hostsIn(target, names)) {
        edges.push({ from: of('prometheus'), to: of(t.host), port: t.port, why: `prometheus.yml scrapes ${target}` });
        // 2b. An exporter's multi-target mode: it dials the server its scrape names (?target=).
        const param = config.labels?.__param_target ?? '';
        for (const p of hostsIn(param, names)) {
          edges.push({
            from: of(t.host),
            to: of(p.host),
            port: p.port,
            why: `prometheus.yml has ${t.host} scrape ${param}`,
          });
        }
      }
    }
  }
  // 3. Grafana reads its data source.
  const ds = readFileSync(`${repoRoot}infra/grafana/provisioning/datasources/prometheus.yml`, 'utf8');
  for (const t of hostsIn(ds, names)) {
    edges.push({ from: of('grafana'), to: of(t.host), port: t.port, why: 'the Grafana data source' });
  }
  // 4. Copies (the scaled overlay's extra shards) have the edges of what they copy.
  for (const c of components.values()) {
    if (!c.sameAs) continue;
    const orig = c.sameAs;
    for (const e of [...edges]) {
      if (e.from !== orig && e.to !== orig) continue;
      const from = e.from === orig ? c.name : e.from;
      const to = e.to === orig ? c.name : e.to;
      edges.push({ ...e, from, to, why: `${e.why} (${c.name} is a copy of ${orig})` });
    }
  }
  return edges;
}
