import { describe, expect, it } from 'vitest';
import { OVERLAYS, render, type K8sObject } from './support/render.js';
import { validateObject } from './support/validate.js';

const id = (o: K8sObject) => `${o.apiVersion} ${o.kind}/${o.metadata.name}`;

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const objects = render(overlay);

  it('renders objects of the expected kinds', () => {
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of ['Deployment', 'StatefulSet', 'Cluster', 'Kafka', 'KafkaNodePool', 'KafkaTopic']) {
      expect(kinds, kind).toContain(kind);
    }
    for (const kind of ['ServiceMonitor', 'Prometheus', 'Ingress', 'NetworkPolicy', 'PodDisruptionBudget']) {
      expect(kinds, kind).toContain(kind);
    }
  });

  it('validates every object against the Kubernetes 1.36 and the operators’ CRD schemas', async () => {
    const failures: string[] = [];
    for (const o of objects) {
      const errors = await validateObject(o);
      if (errors.length > 0) failures.push(`${id(o)}: ${errors.join('; ')}`);
    }
    expect(failures).toEqual([]);
  });

  it('puts every namespaced object in the namespace sdl, and names each once', () => {
    const seen = new Set<string>();
    for (const o of objects) {
      if (o.kind !== 'Namespace') expect(o.metadata.namespace, id(o)).toBe('sdl');
      expect(seen.has(id(o)), `${id(o)} twice`).toBe(false);
      seen.add(id(o));
    }
  });

  it('gives every container resource requests and limits', () => {
    for (const o of objects.filter((x) => ['Deployment', 'StatefulSet'].includes(x.kind))) {
      const spec = (
        o.spec as { template: { spec: { containers: { resources?: { requests?: object; limits?: object } }[] } } }
      ).template.spec;
      for (const c of spec.containers) {
        expect(c.resources?.requests, id(o)).toBeDefined();
        expect(c.resources?.limits, id(o)).toBeDefined();
      }
    }
  });
});

describe('the validation rejects what a cluster would', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x', namespace: 'sdl' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { a: 'b' } },
      template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'x', image: 'x' }] } },
    },
  };
  const cluster = {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'pg-x', namespace: 'sdl' },
    spec: { instances: 2, storage: { size: '1Gi' } },
  };

  it('accepts the valid baselines', async () => {
    expect(await validateObject(deployment)).toEqual([]);
    expect(await validateObject(cluster)).toEqual([]);
  });

  it('rejects a wrong type and a missing required field in a built-in kind', async () => {
    const bad = structuredClone(deployment) as unknown as K8sObject & {
      spec: { replicas: unknown; template: { spec: object } };
    };
    bad.spec.replicas = 'three';
    bad.spec.template.spec = {};
    const errors = (await validateObject(bad)).join('\n');
    expect(errors).toMatch(/replicas must be integer/);
    expect(errors).toMatch(/required property containers/);
  });

  it('rejects an unknown field and a wrong type in an operator resource', async () => {
    expect((await validateObject({ ...cluster, spec: { ...cluster.spec, instance: 2 } })).join()).toMatch(
      /must NOT have additional properties/,
    );
    expect((await validateObject({ ...cluster, spec: { ...cluster.spec, instances: 'two' } })).join()).toMatch(
      /instances must be integer/,
    );
  });

  it('rejects ZooKeeper in a Strimzi 1.x Kafka (KRaft only) and an unknown kind', async () => {
    const kafka = { apiVersion: 'kafka.strimzi.io/v1', kind: 'Kafka', metadata: { name: 'k' } };
    const zk = { ...kafka, spec: { kafka: { listeners: [] }, zookeeper: { replicas: 3 } } };
    expect((await validateObject(zk)).join()).toMatch(/additional properties/);
    expect(await validateObject({ ...kafka, apiVersion: 'kafka.strimzi.io/v1beta2' })).toEqual([
      'no schema for kafka.strimzi.io/v1beta2 Kafka',
    ]);
  });

  it('rejects a name that is not a DNS subdomain', async () => {
    expect((await validateObject({ ...deployment, metadata: { name: 'Not_Valid' } })).join()).toMatch(/DNS subdomain/);
  });
});
