import { describe, expect, it } from 'vitest';
import { components, strimziListenerPolicies, type Component } from './support/components.js';
import { architectureEdges, type Edge } from './support/edges.js';
import { NetworkPolicies, type Pod } from './support/network-policy.js';
import { OVERLAYS, ofKind, render } from './support/render.js';

/** Pods outside the lab's namespace that the policies must tell apart. */
const OUTSIDE = {
  ingress: { namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
  cnpgOperator: { namespace: 'cnpg-system', labels: { 'app.kubernetes.io/name': 'cloudnative-pg' } },
  dns: { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
  stranger: { namespace: 'default', labels: { 'app.kubernetes.io/name': 'api' } },
} satisfies Record<string, Pod>;

describe.each(OVERLAYS)('network policies of overlay %s', (overlay) => {
  const objects = render(overlay);
  const comps = components(objects);
  const policies = new NetworkPolicies([...objects, ...strimziListenerPolicies(objects)]);
  const edges = architectureEdges(comps);
  const pod = (c: Component): Pod => ({ namespace: 'sdl', labels: c.labels });
  const pairs = [...comps.values()].flatMap((a) => [...comps.values()].map((b) => [a, b] as const));

  it('derives the architecture’s edges from the compose files (a sample)', () => {
    const has = (from: string, to: string, port?: number) =>
      edges.some((e) => e.from === from && e.to === to && e.port === port);
    expect(has('gateway', 'lb', 8081)).toBe(true);
    expect(has('api', 'pg-1', 5432)).toBe(true);
    expect(has('billing-leader', 'payments', 3002)).toBe(true);
    expect(has('etcd', 'etcd', 2380)).toBe(true);
    expect(has('prometheus', 'gateway', 9080)).toBe(true);
    expect(has('api', 'payments')).toBe(false);
  });

  it('allows every edge on its port, and denies every other pair of components on every port', () => {
    const wrong: string[] = [];
    for (const [a, b] of pairs) {
      const mine: Edge[] = edges.filter((e) => e.from === a.name && e.to === b.name);
      if (mine.length === 0) {
        if (policies.allowed(pod(a), pod(b))) wrong.push(`${a.name} -> ${b.name}: allowed, but no edge`);
        continue;
      }
      for (const e of mine) {
        if (!policies.allowed(pod(a), pod(b), e.port))
          wrong.push(`${a.name} -> ${b.name}:${e.port ?? '*'} denied (${e.why})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('admits clients only through the ingress controller, to the gateway port the Ingress uses', () => {
    const ingress = ofKind(objects, 'Ingress');
    expect(ingress).toHaveLength(1);
    const backend = JSON.stringify(ingress[0]!.spec);
    expect(backend).toContain('"service":{"name":"gateway","port":{"number":8080}}');
    for (const c of comps.values()) {
      expect(policies.allowed(OUTSIDE.ingress, pod(c), 8080), c.name).toBe(c.name === 'gateway');
      expect(policies.allowed(OUTSIDE.stranger, pod(c)), c.name).toBe(false);
    }
  });

  it('lets the CloudNativePG operator reach the instance managers of every shard, and nothing else', () => {
    for (const c of comps.values()) {
      const isShard = c.object.kind === 'Cluster';
      expect(policies.allowed(OUTSIDE.cnpgOperator, pod(c), 8000), c.name).toBe(isShard);
      expect(policies.allowed(OUTSIDE.cnpgOperator, pod(c), 5432), c.name).toBe(false);
    }
  });

  it('lets the application pods resolve names, and send nowhere off the edges', () => {
    for (const c of [...comps.values()].filter((x) => x.labels['sdl.lab/tier'] === 'app')) {
      expect(policies.allowed(pod(c), OUTSIDE.dns, 53), c.name).toBe(true);
      expect(policies.allowed(pod(c), OUTSIDE.stranger), c.name).toBe(false);
    }
  });

  it('fails for a policy that opens one more edge (the check can fail)', () => {
    const extra = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'too-open', namespace: 'sdl' },
      spec: {
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis-limiter' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'etcd' } } }] }],
      },
    };
    const opened = new NetworkPolicies([...objects, ...strimziListenerPolicies(objects), extra]);
    const etcd = pod(comps.get('etcd')!);
    const limiter = pod(comps.get('redis-limiter')!);
    expect(policies.allowed(etcd, limiter, 6379)).toBe(false);
    expect(opened.allowed(etcd, limiter, 6379)).toBe(true);
  });
});
