import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** The repository's root and the deploy/kubernetes folder. */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const k8sDir = fileURLToPath(new URL('../../', import.meta.url));

/** The overlays `./lab k8s render` knows. */
export const OVERLAYS = ['dev', 'scaled'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** A rendered Kubernetes object, loosely typed: the tests read what they check. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
};

/** The kubectl `./lab setup` installs (KUBECTL overrides it, as for ./lab). */
function kubectl(): string {
  const bin = process.env.KUBECTL ?? `${repoRoot}.tools/kubectl/kubectl`;
  if (!existsSync(bin)) throw new Error(`no kubectl at ${bin}: run ./lab setup (or set KUBECTL)`);
  return bin;
}

const cache = new Map<Overlay, K8sObject[]>();

/** Renders an overlay with kustomize (through kubectl, offline) into its objects. */
export function render(overlay: Overlay): K8sObject[] {
  const hit = cache.get(overlay);
  if (hit) return hit;
  const out = execFileSync(
    kubectl(),
    ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', `${k8sDir}overlays/${overlay}`],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const objects = parseAllDocuments(out).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`rendered YAML: ${doc.errors[0]!.message}`);
    return doc.toJS() as K8sObject;
  });
  cache.set(overlay, objects);
  return objects;
}

/** Objects of one kind (optionally one name). */
export function ofKind(objects: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

/** The one object of a kind and name; throws when there is none or more. */
export function one(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = ofKind(objects, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
  return found[0]!;
}
