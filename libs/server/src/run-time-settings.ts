import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

/**
 * A service's switches a lab run may flip at run time; the environment gives the start values and
 * `reset` goes back to them. The work reads `current()` at every use, so a switch applies from the
 * next request on; `apply` (optional) pushes each new value into objects that hold their own copy.
 */
export interface RunTimeSettings<T extends object> {
  current(): T;
  set(patch: Partial<T>): T;
  reset(): T;
}

export function createRunTimeSettings<T extends object>(initial: T, apply?: (settings: T) => void): RunTimeSettings<T> {
  let settings = { ...initial };
  const change = (next: T): T => {
    settings = next;
    apply?.(settings);
    return settings;
  };
  return {
    current: () => settings,
    set: (patch) => change({ ...settings, ...patch }),
    reset: () => change({ ...initial }),
  };
}

export interface RunTimeSettingsRoutesOptions<T extends object> {
  /** e.g. `/admin/billing`. */
  readonly path: string;
  /** Every setting, all required (the answer of each verb); a PUT body is any non-empty part of it. */
  readonly schema: TObject;
  readonly settings: RunTimeSettings<T>;
  /** What the log line names, e.g. "billing settings". */
  readonly what: string;
}

/**
 * `GET|PUT|DELETE path` on an admin listener: the settings in force, a partial change (unknown
 * fields and bad values: 400 from the schema), back to the environment's. Per process: a test
 * switching the cluster sets every replica, and a restarted one starts from its environment.
 */
export async function runTimeSettingsRoutes<T extends object>(
  app: FastifyInstance,
  options: RunTimeSettingsRoutesOptions<T>,
): Promise<void> {
  const { path, settings, what } = options;
  // Without the properties' defaults: ajv would fill them in, and `{}` would pass as a change.
  const properties = Object.fromEntries(
    Object.entries(options.schema.properties).map(([name, property]) => {
      const { default: _default, ...rest } = property as TSchema & { default?: unknown };
      return [name, rest as TSchema];
    }),
  );
  const patch = Type.Partial(Type.Object(properties), { additionalProperties: false, minProperties: 1 });
  const schema = { response: { 200: options.schema } };
  app.get(path, { schema }, async () => settings.current());
  app.put(path, { schema: { ...schema, body: patch } }, async (req) => {
    // The body schema above admits only a non-empty part of the settings.
    const now = settings.set(req.body as Partial<T>);
    req.log.warn({ settings: now }, `${what} changed`);
    return now;
  });
  app.delete(path, { schema }, async (req) => {
    const now = settings.reset();
    req.log.warn({ settings: now }, `${what} reset to the environment`);
    return now;
  });
}
