import { AppError } from '@sdl/errors';
import { createClientPlugin } from '@sdl/server';
import { Pool } from 'undici';
import { GatewayErrors } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The ratelimiter service's client; undefined when rate limiting is off (RATELIMIT_ENABLED=false). */
    ratelimiter: RateLimitClient | undefined;
  }
}

/** An in-flight lease from a concurrency rule, released when the response ends. */
export interface Lease {
  readonly key: string;
  readonly id: string;
}

/** The ratelimiter's answer to one check. */
export interface RateLimitAnswer {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  readonly resetMs: number;
  /** The enforcing rule (the policy name in RateLimit headers); absent when no rule limits the request. */
  readonly rule?: string;
  readonly windowMs?: number;
  readonly leases?: readonly Lease[];
  /** Requests granted (a partial grant may be fewer than asked); older ratelimiters omit it. */
  readonly granted?: number;
  /** The rule's cost per request, in units. */
  readonly unitCost?: number;
  /** Set when the ratelimiter's store failed and the answer is its fail mode, not a count. */
  readonly failMode?: 'open' | 'closed';
}

export interface CheckOptions {
  /** Requests to charge at once (a lease batch); default 1. */
  readonly cost?: number;
  /** Accept fewer than `cost` when that is what remains. */
  readonly partial?: boolean;
}

export interface CheckDescriptors {
  readonly client: string;
  readonly route: string;
  readonly address?: string;
  readonly plan?: string;
}

export interface RateLimitClient {
  /** Asks the ratelimiter; throws GW_ERR_RATELIMIT_UNAVAILABLE on any failure or after `timeoutMs`. */
  check(descriptors: CheckDescriptors, requestId: string, options?: CheckOptions): Promise<RateLimitAnswer>;
  /** Hands leases back; failures are swallowed (an unreleased lease expires on its own). */
  release(leases: readonly Lease[], requestId: string): Promise<void>;
  /** Readiness: the ratelimiter's own /healthz. */
  ping(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export interface RateLimitClientOptions {
  readonly url: string;
  readonly timeoutMs: number;
  /** Keep-alive connections (default 32). */
  readonly connections?: number;
}

function isAnswer(value: unknown): value is RateLimitAnswer {
  const v = value as Partial<Record<keyof RateLimitAnswer, unknown>> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.allowed === 'boolean' &&
    typeof v.limit === 'number' &&
    typeof v.remaining === 'number' &&
    typeof v.resetMs === 'number'
  );
}

/** A keep-alive client of the ratelimiter service whose every call is bounded by one deadline. */
export function createRateLimitClient(options: RateLimitClientOptions): RateLimitClient {
  const { timeoutMs } = options;
  const pool = new Pool(options.url, {
    connections: options.connections ?? 32,
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const unavailable = (cause: unknown, message?: string): AppError =>
    new AppError(GatewayErrors.ratelimitUnavailable, { cause, ...(message === undefined ? {} : { message }) });

  return {
    async check(descriptors, requestId, checkOptions = {}) {
      const cost = checkOptions.cost ?? 1;
      try {
        // One deadline for connect, send and read: the limiter must never hold a request for longer.
        const res = await pool.request({
          method: 'POST',
          path: '/v1/check',
          headers: { 'content-type': 'application/json', 'x-request-id': requestId },
          body: JSON.stringify({ descriptors, cost, ...(checkOptions.partial === true ? { partial: true } : {}) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (res.statusCode !== 200) {
          await res.body.dump();
          throw unavailable(undefined, `ratelimiter answered ${res.statusCode}`);
        }
        const answer: unknown = await res.body.json();
        if (!isAnswer(answer)) throw unavailable(undefined, 'ratelimiter answered an unexpected body');
        return answer;
      } catch (err) {
        throw err instanceof AppError ? err : unavailable(err);
      }
    },
    async release(leases, requestId) {
      try {
        const res = await pool.request({
          method: 'POST',
          path: '/v1/release',
          headers: { 'content-type': 'application/json', 'x-request-id': requestId },
          body: JSON.stringify({ leases }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.body.dump();
      } catch {
        // The lease expires on the ratelimiter's side.
      }
    },
    async ping(signal) {
      const res = await pool.request({ method: 'GET', path: '/healthz', signal });
      await res.body.dump();
      if (res.statusCode !== 200) throw unavailable(undefined, `ratelimiter answered ${res.statusCode}`);
    },
    close: () => pool.close(),
  };
}

/**
 * The ratelimiter's client as `app.ratelimiter` (none when `enabled` is false), closed in onClose;
 * `/readyz` checks it as `ratelimiter`.
 */
export const rateLimitClientPlugin = createClientPlugin({
  name: 'ratelimiter',
  decorate: 'ratelimiter',
  create: (options: RateLimitClientOptions & { readonly enabled: boolean }) =>
    options.enabled ? createRateLimitClient(options) : undefined,
  close: (client) => client.close(),
  ready: (client, signal) => client.ping(signal),
});
