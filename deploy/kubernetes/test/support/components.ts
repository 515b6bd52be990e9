import type { K8sObject } from './render.js';

/** The pod label that names a component, on every pod the manifests make (directly or by an operator). */
export const COMPONENT_LABEL = 'app.kubernetes.io/name';

export type Component = {
  name: string;
  /** The labels of its pods. */
  labels: Record<string, string>;
  /** The object that makes its pods. */
  object: K8sObject;
  /** The docker-compose.yml services it stands for (annotation sdl.lab/compose-services). */
  composeServices: string[];
  /** A copy of another component (sdl.lab/same-as: the scaled overlay's extra shards). */
  sameAs?: string;
};

type AnyRecord = Record<string, unknown>;
const at = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as AnyRecord)[k] : undefined), o);

/** Where each kind keeps the labels of the pods it makes. */
function podLabels(o: K8sObject): Record<string, string> | undefined {
  const paths: Record<string, string[]> = {
    Deployment: ['spec', 'template', 'metadata', 'labels'],
    StatefulSet: ['spec', 'template', 'metadata', 'labels'],
    Cluster: ['spec', 'inheritedMetadata', 'labels'],
    Kafka: ['spec', 'kafka', 'template', 'pod', 'metadata', 'labels'],
    Prometheus: ['spec', 'podMetadata', 'labels'],
  };
  const path = paths[o.kind];
  return path ? (at(o, ...path) as Record<string, string> | undefined) : undefined;
}

/** Every component of a rendered overlay, by name; throws on a pod-making object without a name label. */
export function components(objects: K8sObject[]): Map<string, Component> {
  const out = new Map<string, Component>();
  for (const object of objects) {
    if (!['Deployment', 'StatefulSet', 'Cluster', 'Kafka', 'Prometheus'].includes(object.kind)) continue;
    const labels = podLabels(object);
    const name = labels?.[COMPONENT_LABEL];
    if (!labels || !name)
      throw new Error(`${object.kind}/${object.metadata.name}: its pods carry no ${COMPONENT_LABEL}`);
    if (out.has(name)) throw new Error(`two objects make pods of component ${name}`);
    const annotations = object.metadata.annotations ?? {};
    const composeServices = (annotations['sdl.lab/compose-services'] ?? '').split(',').filter(Boolean);
    out.set(name, { name, labels, object, composeServices, sameAs: annotations['sdl.lab/same-as'] });
  }
  return out;
}

/**
 * The NetworkPolicy Strimzi writes for each Kafka listener (its `networkPolicyPeers`, or every pod
 * when there are none), so that the pair test sees what a cluster would enforce.
 */
export function strimziListenerPolicies(objects: K8sObject[]): K8sObject[] {
  return objects
    .filter((o) => o.kind === 'Kafka')
    .flatMap((kafka) => {
      const listeners = (at(kafka, 'spec', 'kafka', 'listeners') ?? []) as {
        port: number;
        networkPolicyPeers?: unknown[];
      }[];
      const labels = podLabels(kafka) ?? {};
      return listeners.map((l) => ({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `${kafka.metadata.name}-listener-${l.port}`, namespace: kafka.metadata.namespace },
        spec: {
          podSelector: { matchLabels: { [COMPONENT_LABEL]: labels[COMPONENT_LABEL] } },
          policyTypes: ['Ingress'],
          ingress: [
            { ...(l.networkPolicyPeers?.length ? { from: l.networkPolicyPeers } : {}), ports: [{ port: l.port }] },
          ],
        },
      }));
    });
}
