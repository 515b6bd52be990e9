import { AsyncLocalStorage } from 'node:async_hooks';
import { chainServerTiming, SERVER_TIMING, timingEntry } from './server-timing-header.js';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** Adds this request's durations to its `Server-Timing` answer (see registerServerTiming). */
    serverTiming: RequestTiming;
  }
}

export interface ServerTimingOptions {
  /** The hop's prefix on every entry (`gw`, `lb`, `api`). */
  readonly prefix: string;
  /** Off: this hop adds nothing; with `stripUpstream` it also drops what its upstream sent. */
  readonly enabled: boolean;
  /** The edge: off must hide the chain's internals from clients too. */
  readonly stripUpstream?: boolean;
}

/** Where code deep in a request records a duration (ServerTiming; tests may pass nothing). */
export interface TimingSink {
  add(name: string, ms: number): void;
}

/** `app.serverTiming`: record a duration, or time a call. */
export interface RequestTiming extends TimingSink {
  measure<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * The durations of the current request by name, summed (three cache lookups make one `cache`
 * entry). Code deep in a request (a repository, a cache) records without being handed the
 * request: the store follows the request's async context.
 */
export class ServerTiming implements RequestTiming {
  readonly #storage = new AsyncLocalStorage<Map<string, number>>();

  /** Runs `fn` and what it starts with a fresh set of durations. */
  run<T>(fn: () => T): T {
    return this.#storage.run(new Map(), fn);
  }

  add(name: string, ms: number): void {
    const durations = this.#storage.getStore();
    if (durations !== undefined) durations.set(name, (durations.get(name) ?? 0) + ms);
  }

  async measure<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      this.add(name, performance.now() - started);
    }
  }

  /** The current request's durations (empty outside a request). */
  entries(): ReadonlyMap<string, number> {
    return this.#storage.getStore() ?? new Map();
  }
}

const SERIALIZE_STARTED = Symbol('serializeStarted');

/**
 * Decorates `app.serverTiming` and answers every request with `Server-Timing`: the entries the
 * request recorded, `ser` (serialization, preSerialization to onSend), the hop's total, then the
 * upstream's entries if a proxied answer carried them.
 */
export function registerServerTiming(app: FastifyInstance, options: ServerTimingOptions): void {
  const timing = new ServerTiming();
  app.decorate('serverTiming', timing);
  const { prefix } = options;
  app.addHook('onRequest', (_req, _reply, done) => timing.run(() => done()));
  app.addHook('preSerialization', async (req, _reply, payload) => {
    (req as unknown as Record<symbol, number>)[SERIALIZE_STARTED] = performance.now();
    return payload;
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const upstream = reply.getHeader(SERVER_TIMING) as string | string[] | undefined;
    if (!options.enabled) {
      if (options.stripUpstream === true) reply.removeHeader(SERVER_TIMING);
      return payload;
    }
    const own = [...timing.entries()].map(([name, ms]) => timingEntry(`${prefix}-${name}`, ms));
    const serializeStarted = (req as unknown as Record<symbol, number | undefined>)[SERIALIZE_STARTED];
    if (serializeStarted !== undefined) own.push(timingEntry(`${prefix}-ser`, performance.now() - serializeStarted));
    own.push(timingEntry(prefix, reply.elapsedTime));
    void reply.header(SERVER_TIMING, chainServerTiming(own, upstream));
    return payload;
  });
}
