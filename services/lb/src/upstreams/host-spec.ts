import type { Logger } from '@sdl/logging';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Where a host came from: the etcd registry or the STATIC_UPSTREAMS list. */
export type HostSource = 'etcd' | 'static';

/** The value an api node registers under `<DISCOVERY_PREFIX><nodeId>`. Extra fields are tolerated. */
export const HostSpecSchema = Type.Object({
  id: Type.String({ pattern: '^[\\w.:-]{1,128}$' }),
  url: Type.String({ pattern: '^https?://[^\\s/]+(/\\S*)?$' }),
  weight: Type.Optional(Type.Number({ minimum: 0 })),
});

export interface HostSpec {
  readonly id: string;
  readonly url: string;
  readonly weight: number;
}

function normalize(spec: Static<typeof HostSpecSchema>): HostSpec | undefined {
  try {
    new URL(spec.url);
  } catch {
    return undefined;
  }
  return { id: spec.id, url: spec.url.replace(/\/+$/, ''), weight: spec.weight ?? 1 };
}

/** `['api-1=http://api-1:3000', ...]` (already pattern-checked by the config schema). */
export function parseStaticUpstreams(entries: readonly string[]): HostSpec[] {
  return entries.map((entry) => {
    const at = entry.indexOf('=');
    const spec = normalize({ id: entry.slice(0, at), url: entry.slice(at + 1) });
    if (spec === undefined) throw new TypeError(`STATIC_UPSTREAMS: invalid url in "${entry}"`);
    return spec;
  });
}

/**
 * Turns the watched etcd prefix into host specs. A bad value is skipped with one warning per
 * key and value (the whole map is re-parsed on every change, so warnings are de-duplicated).
 */
export function createEntryParser(logger: Logger): (entries: ReadonlyMap<string, string>) => HostSpec[] {
  const warned = new Set<string>();
  return (entries) => {
    const specs: HostSpec[] = [];
    const seen = new Set<string>();
    for (const [key, raw] of entries) {
      let spec: HostSpec | undefined;
      try {
        const value: unknown = JSON.parse(raw);
        if (Value.Check(HostSpecSchema, value)) spec = normalize(value);
      } catch {
        spec = undefined;
      }
      if (spec === undefined || seen.has(spec.id)) {
        const token = `${key}\u0000${raw}`;
        if (!warned.has(token)) {
          warned.add(token);
          const reason = spec === undefined ? 'invalid host entry' : 'duplicate host id';
          logger.warn({ key, value: raw.slice(0, 200) }, `${reason}; ignored`);
        }
        continue;
      }
      seen.add(spec.id);
      specs.push(spec);
    }
    return specs;
  };
}
