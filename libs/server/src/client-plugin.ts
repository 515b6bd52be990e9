import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

/** The client a plugin decorates `app[K]` with, without the `undefined` of a switched-off feature. */
export type PluginClient<K extends keyof FastifyInstance> = NonNullable<FastifyInstance[K]>;

/**
 * How a service owns one infrastructure client (a Redis, an etcd coordinator, an HTTP pool). The
 * decorated property is declared by the service in fastify's `FastifyInstance` interface.
 */
export interface ClientPluginSpec<K extends keyof FastifyInstance, O> {
  /** The plugin's name (fastify-plugin `name`, for `dependencies`), also its readiness check's name. */
  readonly name: string;
  /** The app property the client is decorated as, e.g. `'redis'` for `app.redis`. */
  readonly decorate: K;
  /**
   * Makes the client from the plugin's options when the caller passed none. May return undefined
   * when the feature is switched off (say, no endpoints configured): then `app[K]` is undefined,
   * and nothing is closed or probed.
   */
  readonly create: (options: O) => FastifyInstance[K] | Promise<FastifyInstance[K]>;
  /** Ends a client the plugin created, in onClose. A client passed in is closed by whoever made it. */
  readonly close: (client: PluginClient<K>) => Promise<unknown>;
  /** A readiness probe run by `/readyz` under `name`; it throws when the dependency is down. Default: none. */
  readonly ready?: (client: PluginClient<K>, signal: AbortSignal) => Promise<unknown>;
}

/** The plugin's options: the spec's own, plus an optional client made elsewhere (tests, a shared one). */
export type ClientPluginOptions<K extends keyof FastifyInstance, O> = O & {
  /** Use this client instead of creating one; the plugin then never closes it. Default: create one. */
  readonly client?: PluginClient<K> | undefined;
};

/**
 * The one way for a service to own or accept an infrastructure client: a named plugin (not
 * encapsulated, so the whole app sees the decoration) that creates the client unless one is passed
 * in, decorates the app with it, adds its readiness check, and closes it in onClose if it made it.
 * Register it before the modules that use the client: onClose hooks run in reverse order of
 * registration, so the client closes after everything registered later has stopped using it.
 */
export function createClientPlugin<K extends keyof FastifyInstance, O extends object>(
  spec: ClientPluginSpec<K, O>,
): FastifyPluginAsync<ClientPluginOptions<K, O>> {
  const plugin = async (app: FastifyInstance, options: ClientPluginOptions<K, O>): Promise<void> => {
    const given = options.client;
    const client = given ?? (await spec.create(options));
    app.decorate(spec.decorate, client as never);
    if (client === undefined || client === null) return;
    const live = client as PluginClient<K>;
    const { ready } = spec;
    if (ready !== undefined) app.readiness.add(spec.name, (signal) => ready(live, signal));
    if (given === undefined) {
      app.addHook('onClose', async () => {
        await spec.close(live);
      });
    }
  };
  return fp(plugin, { name: spec.name, fastify: '5.x' });
}
