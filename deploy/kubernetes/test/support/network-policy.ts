import type { K8sObject } from './render.js';

/**
 * NetworkPolicy semantics (networking.k8s.io/v1), enough to decide whether one pod may open a TCP
 * connection to another: a pod selected by a policy of a direction is isolated in it and admits
 * only what some rule of those policies allows; a connection needs the sender's egress and the
 * receiver's ingress. Policies add up; none can deny what another allows.
 */
export type Pod = { namespace: string; labels: Record<string, string> };

type Requirement = { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] };
type Selector = { matchLabels?: Record<string, string>; matchExpressions?: Requirement[] };
type Peer = { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: unknown };
type PortRule = { port?: number | string; endPort?: number; protocol?: string };
type Rule = { from?: Peer[]; to?: Peer[]; ports?: PortRule[] };
type PolicySpec = { podSelector: Selector; policyTypes?: string[]; ingress?: Rule[]; egress?: Rule[] };

export function matches(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, r.key);
    const value = labels[r.key];
    if (r.operator === 'In' && !(has && r.values!.includes(value!))) return false;
    if (r.operator === 'NotIn' && has && r.values!.includes(value!)) return false;
    if (r.operator === 'Exists' && !has) return false;
    if (r.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function namespaceLabels(pod: Pod): Record<string, string> {
  return { 'kubernetes.io/metadata.name': pod.namespace };
}

function peerMatches(peer: Peer, pod: Pod, policyNamespace: string): boolean {
  if (peer.ipBlock) return false; // pod-to-pod traffic is decided by selectors; no CIDR holds pods here
  if (peer.namespaceSelector) {
    if (!matches(peer.namespaceSelector, namespaceLabels(pod))) return false;
  } else if (pod.namespace !== policyNamespace) return false;
  return matches(peer.podSelector, pod.labels);
}

/** Port undefined: any port (does the rule admit this peer at all?). Numbered ports only. */
function portMatches(rules: PortRule[] | undefined, port: number | undefined): boolean {
  if (!rules || rules.length === 0 || port === undefined) return true;
  return rules.some((r) => {
    if ((r.protocol ?? 'TCP') !== 'TCP') return false;
    if (r.port === undefined) return true;
    if (typeof r.port === 'string') throw new Error(`named port ${r.port}: use numbers in the lab's policies`);
    return r.endPort === undefined ? r.port === port : port >= r.port && port <= r.endPort;
  });
}

export class NetworkPolicies {
  readonly #policies: { namespace: string; spec: PolicySpec }[];

  constructor(objects: K8sObject[]) {
    this.#policies = objects
      .filter((o) => o.kind === 'NetworkPolicy')
      .map((o) => ({ namespace: o.metadata.namespace ?? 'default', spec: o.spec as PolicySpec }));
  }

  #direction(pod: Pod, type: 'Ingress' | 'Egress'): Rule[][] | undefined {
    const selecting = this.#policies.filter(({ namespace, spec }) => {
      const types = spec.policyTypes ?? (spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
      return namespace === pod.namespace && types.includes(type) && matches(spec.podSelector, pod.labels);
    });
    if (selecting.length === 0) return undefined; // not isolated
    return selecting.map(({ spec }) => (type === 'Ingress' ? spec.ingress : spec.egress) ?? []);
  }

  #admits(rulesets: Rule[][] | undefined, peer: Pod, ns: string, port: number | undefined, side: 'from' | 'to') {
    if (!rulesets) return true;
    return rulesets.some((rules) =>
      rules.some((rule) => {
        const peers = rule[side];
        const peerOk = !peers || peers.length === 0 || peers.some((p) => peerMatches(p, peer, ns));
        return peerOk && portMatches(rule.ports, port);
      }),
    );
  }

  /** May `src` open a connection to `dst` on `port` (undefined: on any port)? */
  allowed(src: Pod, dst: Pod, port?: number): boolean {
    const egress = this.#admits(this.#direction(src, 'Egress'), dst, src.namespace, port, 'to');
    const ingress = this.#admits(this.#direction(dst, 'Ingress'), src, dst.namespace, port, 'from');
    return egress && ingress;
  }
}
