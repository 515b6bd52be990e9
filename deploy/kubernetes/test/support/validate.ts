import { readFileSync, readdirSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { k8sDir, type K8sObject } from './render.js';

/**
 * Offline schema validation of rendered objects. Built-in kinds: the Kubernetes 1.36 OpenAPI schemas
 * that kubernetes-models 5.1 ships precompiled (types, required fields, enums, formats). Operator
 * kinds: the openAPIV3Schema of the vendored CRDs (schemas/), made strict the way the API server's
 * field validation is (an unknown field is an error unless the schema preserves unknown fields).
 */
type Validator = (obj: K8sObject) => string[];

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

type Schema = { [key: string]: unknown; properties?: Record<string, Schema>; items?: Schema };

/** additionalProperties: false wherever a structural schema lists its properties and keeps no others. */
function strict(schema: Schema): Schema {
  const out: Schema = { ...schema };
  if (schema.properties) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, strict(v)]));
    if (schema.additionalProperties === undefined && schema['x-kubernetes-preserve-unknown-fields'] !== true) {
      out.additionalProperties = false;
    }
  }
  if (schema.items) out.items = strict(schema.items);
  if (typeof schema.additionalProperties === 'object')
    out.additionalProperties = strict(schema.additionalProperties as Schema);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (Array.isArray(schema[key])) out[key] = (schema[key] as Schema[]).map(strict);
  }
  return out;
}

type Crd = {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; schema: { openAPIV3Schema: Schema } }[];
  };
};

function crdValidators(): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  addFormats.default(ajv);
  const byType = new Map<string, ValidateFunction>();
  const dir = `${k8sDir}schemas/`;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const crd = parse(readFileSync(dir + file, 'utf8')) as Crd;
    for (const version of crd.spec.versions.filter((v) => v.served)) {
      const schema = strict(version.schema.openAPIV3Schema);
      byType.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile(schema));
    }
  }
  return byType;
}

let crds: Map<string, ValidateFunction> | undefined;

async function builtIn(apiVersion: string, kind: string): Promise<Validator | undefined> {
  // kubernetes-models lays its models out as <group>/<version>/<Kind> (core: v1/<Kind>).
  try {
    const mod = (await import(/* @vite-ignore */ `kubernetes-models/${apiVersion}/${kind}`)) as Record<
      string,
      new (data: unknown) => { validate(): void }
    >;
    const Model = mod[kind];
    if (!Model) return undefined;
    return (obj) => {
      try {
        new Model(obj).validate();
        return [];
      } catch (err) {
        return [(err as Error).message];
      }
    };
  } catch {
    return undefined;
  }
}

/** The schema errors of one object; [] when it is valid. An object of an unknown type is an error. */
export async function validateObject(obj: K8sObject): Promise<string[]> {
  const errors: string[] = [];
  if (typeof obj.metadata?.name !== 'string' || !DNS_SUBDOMAIN.test(obj.metadata.name)) {
    errors.push(`metadata.name ${JSON.stringify(obj.metadata?.name)} is not a DNS subdomain`);
  }
  crds ??= crdValidators();
  const crd = crds.get(`${obj.apiVersion}/${obj.kind}`);
  if (crd) {
    if (!crd(obj)) errors.push(...(crd.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`));
    return errors;
  }
  const validator = await builtIn(obj.apiVersion, obj.kind);
  if (!validator) return [...errors, `no schema for ${obj.apiVersion} ${obj.kind}`];
  return [...errors, ...validator(obj)];
}
