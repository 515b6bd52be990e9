import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { repoRoot } from './render.js';

/** A service of docker-compose.yml after its YAML merge keys (`<<: *app`) are applied. */
export type ComposeService = {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | null>;
  healthcheck?: { test?: string[] | string };
  ports?: string[];
  secrets?: string[];
  profiles?: string[];
};

/** Profiles of tools run on demand (`./lab load`'s k6), not part of the cluster: no Kubernetes counterpart. */
const TOOL_PROFILES = ['load'];

/** docker-compose.yml's cluster services, parsed as compose reads it (merge keys on). */
export function composeServices(): Record<string, ComposeService> {
  const text = readFileSync(`${repoRoot}docker-compose.yml`, 'utf8');
  const services = (parse(text, { merge: true }) as { services: Record<string, ComposeService> }).services;
  return Object.fromEntries(
    Object.entries(services).filter(([, svc]) => !(svc.profiles ?? []).some((p) => TOOL_PROFILES.includes(p))),
  );
}

/** The application services: built from this repository's Dockerfile. */
export function isAppService(svc: ComposeService): boolean {
  return svc.build !== undefined;
}

/** Environment values as strings, `${VAR:-default}` resolved to its default (as compose does unset). */
export function composeEnv(svc: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(svc.environment ?? {}).map(([k, v]) => [k, resolveDefaults(String(v ?? ''))]),
  );
}

export function resolveDefaults(value: string): string {
  return value.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
}

/** The port and path of an `http-ok PORT PATH` healthcheck (the app services' probe). */
export function healthcheckHttp(svc: ComposeService): { port: number; path: string } | undefined {
  const test = Array.isArray(svc.healthcheck?.test) ? svc.healthcheck.test : [];
  const i = test.findIndex((t) => t.endsWith('/http-ok'));
  if (i < 0) return undefined;
  return { port: Number(test[i + 1]), path: test[i + 2]! };
}

/** The container ports a service listens on: *PORT env values, its healthcheck port, published ports. */
export function composePorts(svc: ComposeService): number[] {
  const ports = new Set<number>();
  for (const [k, v] of Object.entries(composeEnv(svc))) if (/(^|_)PORT$/.test(k)) ports.add(Number(v));
  const hc = healthcheckHttp(svc);
  if (hc) ports.add(hc.port);
  for (const p of svc.ports ?? []) ports.add(Number(resolveDefaults(p).split(':').at(-1)));
  return [...ports].sort((a, b) => a - b);
}

/**
 * Every `host:port` (or bare host) in a string that names one of the given services as an address:
 * after `//`, `@`, `=`, `,` or at the start (so `/var/lib/sdl/payments` names no host).
 */
export function hostsIn(text: string, names: string[]): { host: string; port?: number }[] {
  const found: { host: string; port?: number }[] = [];
  for (const host of names) {
    const re = new RegExp(`(?<=^|//|@|=|,)${host.replace(/[.-]/g, '\\$&')}(?![\\w.-])(?::(\\d+))?`, 'gm');
    for (const m of text.matchAll(re)) found.push(m[1] ? { host, port: Number(m[1]) } : { host });
  }
  return found;
}
