import { describe, expect, it } from 'vitest';
import { components } from './support/components.js';
import { composeEnv, composePorts, composeServices, healthcheckHttp, isAppService } from './support/compose.js';
import { ofKind, render, type K8sObject } from './support/render.js';

type EnvVar = { name: string; value?: string; valueFrom?: Record<string, unknown> };
type Container = {
  name: string;
  image?: string;
  command?: string[];
  env?: EnvVar[];
  ports?: { containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: { httpGet?: { path: string; port: number } };
  livenessProbe?: { httpGet?: { path: string; port: number } };
};
type SecretItems = { items?: { key: string; path: string }[] };
type Volume = {
  name: string;
  secret?: { secretName: string } & SecretItems;
  projected?: { sources: { secret?: { name: string } & SecretItems }[] };
};
type PodSpec = { containers: Container[]; volumes?: Volume[] };

/** The Secret a volume maps `file` (a path inside it) from: a secret volume, or a projected one's source. */
function secretOf(volume: Volume | undefined, file: string): string | undefined {
  if (volume?.secret !== undefined) return volume.secret.secretName;
  const source = volume?.projected?.sources.find((s) => s.secret?.items?.some((i) => i.path === file));
  return source?.secret?.name;
}

/** Kubernetes-only variables, each from the downward API, with why compose has no such variable. */
const K8S_ONLY_ENV: Record<string, string> = {
  POD_IP: 'ADVERTISE_URL is built from it: a Deployment pod has no stable DNS name',
};

/** The Secrets the manifests reference, all made by `./lab k8s secrets`. */
const SECRETS = ['pg-app', 'sdl-edge', 'sdl-shards', 'sdl-tls'];

const objects = render('dev');
const comps = components(objects);
const compose = composeServices();
const podSpec = (o: K8sObject) => (o.spec as { template: { spec: PodSpec } }).template.spec;

/** Secret names referenced anywhere: secretKeyRef, secret volumes, Ingress TLS, CloudNativePG's `secret`. */
function secretRefs(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => secretRefs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'secretName' && typeof v === 'string') out.add(v);
      else if ((k === 'secretKeyRef' || k === 'secret') && typeof (v as { name?: unknown }).name === 'string') {
        out.add((v as { name: string }).name);
      }
      secretRefs(v, out);
    }
  }
  return out;
}

function claimedBy(service: string) {
  return [...comps.values()].filter((c) => c.composeServices.includes(service));
}

describe('the dev overlay holds docker-compose.yml', () => {
  it('has exactly one Kubernetes counterpart for every compose service, and none for a service compose lacks', () => {
    for (const service of Object.keys(compose))
      expect(
        claimedBy(service).map((c) => c.name),
        service,
      ).toHaveLength(1);
    const claimed = [...comps.values()].flatMap((c) => c.composeServices);
    expect(claimed.filter((s) => !(s in compose))).toEqual([]);
  });

  const apps = Object.entries(compose).filter(([, svc]) => isAppService(svc));
  it('knows the application services', () => {
    expect(apps.map(([n]) => n).sort()).toEqual(
      expect.arrayContaining(['gateway', 'lb', 'ratelimiter', 'api-1', 'billing-leader-1', 'payments']),
    );
  });

  describe.each(apps)('%s', (name, svc) => {
    const comp = claimedBy(name)[0];
    const spec = comp ? podSpec(comp.object) : undefined;
    const container = spec?.containers[0];

    it('is a Deployment with one container, the same image and command', () => {
      expect(comp?.object.kind).toBe('Deployment');
      expect(spec!.containers).toHaveLength(1);
      expect(container!.image).toBe(svc.image);
      expect(container!.command).toEqual(svc.command);
    });

    it('has the same environment variable names (and the same literal values)', () => {
      const env = container!.env ?? [];
      const names = env.map((e) => e.name).filter((n) => !(n in K8S_ONLY_ENV));
      const wanted = composeEnv(svc);
      expect(names.sort()).toEqual(Object.keys(wanted).sort());
      for (const e of env.filter((v) => v.name in K8S_ONLY_ENV)) expect(e.valueFrom?.fieldRef).toBeDefined();
      // A value that names no host (and is not NODE_ID, which is the pod's name) must not drift.
      for (const e of env) {
        const want = wanted[e.name];
        if (want === undefined || e.value === undefined || e.name === 'NODE_ID') continue;
        if (/:\/\/|^[a-z0-9-]+:\d+/.test(want)) continue;
        expect(e.value, e.name).toBe(want);
      }
    });

    it('listens on the same ports', () => {
      expect(container!.ports!.map((p) => p.containerPort).sort((a, b) => a - b)).toEqual(composePorts(svc));
    });

    it('is probed on the same port: /readyz for readiness (as compose), /healthz for liveness', () => {
      const hc = healthcheckHttp(svc)!;
      expect(hc.path).toBe('/readyz');
      expect(container!.readinessProbe?.httpGet).toEqual({ path: hc.path, port: hc.port });
      expect(container!.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: hc.port });
    });

    it('reads every *_FILE from a mounted Secret, at the path compose mounts its secret', () => {
      for (const [k, path] of Object.entries(composeEnv(svc)).filter(([k]) => k.endsWith('_FILE'))) {
        const mount = container!.volumeMounts?.find((m) => path.startsWith(`${m.mountPath}/`));
        expect(mount, `${k}=${path}`).toBeDefined();
        const volume = spec!.volumes?.find((v) => v.name === mount!.name);
        expect(secretOf(volume, path.slice(mount!.mountPath.length + 1)), k).toMatch(/^sdl-/);
      }
    });
  });

  it('runs the same infrastructure images where no operator makes the pods', () => {
    for (const [name, svc] of Object.entries(compose).filter(([, s]) => !isAppService(s))) {
      const object = claimedBy(name)[0]!.object;
      if (!['Deployment', 'StatefulSet'].includes(object.kind)) continue;
      expect(podSpec(object).containers[0]!.image, name).toBe(svc.image);
    }
  });

  it('runs the same Postgres major version on CloudNativePG', () => {
    for (const cluster of ofKind(objects, 'Cluster')) {
      const majors = cluster.metadata
        .annotations!['sdl.lab/compose-services']!.split(',')
        .map((s) => compose[s]!.image!.split(':')[1]!.split(/[.-]/)[0]);
      const imageName = (cluster.spec as { imageName: string }).imageName;
      expect(imageName.split(':')[1]!.split(/[.-]/)[0]).toBe(majors[0]);
    }
  });
});

describe('secrets', () => {
  it('are referenced by name, never part of the manifests', () => {
    expect(ofKind(objects, 'Secret')).toEqual([]);
    expect([...secretRefs(objects)].sort()).toEqual(SECRETS);
  });

  it('leave no credentials in a literal value (a URL with a password is a Secret)', () => {
    const literals = objects.flatMap((o) => [...JSON.stringify(o).matchAll(/"value":"([^"]*)"/g)].map((m) => m[1]!));
    expect(literals.filter((v) => /:\/\/[^/@\s]+:[^/@\s]+@/.test(v))).toEqual([]);
  });
});
