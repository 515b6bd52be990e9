import { Pool } from 'undici';
import type { HostSource, HostSpec } from './host-spec.js';
import type { Host } from './strategy.js';

export interface PoolSettings {
  readonly connections: number;
  readonly connectTimeoutMs: number;
  /** Per try: headersTimeout and bodyTimeout of the pool. */
  readonly tryTimeoutMs: number;
}

export interface HealthThresholds {
  /** Consecutive failures that take a healthy host out. */
  readonly fall: number;
  /** Consecutive successful checks that bring an unhealthy host back. */
  readonly rise: number;
}

/** Called when a host changes state; `reason` says which signal flipped it. */
export type HealthListener = (host: UpstreamHost, reason: string) => void;

/**
 * One upstream: its keep-alive pool and its health. New hosts start healthy (a fresh registration
 * means the node just said it is up). Only active checks bring a host back: a proxied success on a
 * host that is down cannot happen, since the balancer sends it nothing.
 */
export class UpstreamHost implements Host {
  readonly id: string;
  readonly url: string;
  readonly source: HostSource;
  readonly pool: Pool;
  /** Path prefix of the url (usually empty), put before every proxied path. */
  readonly basePath: string;
  #weight: number;
  #healthy = true;
  #failures = 0;
  #successes = 0;
  #inflight = 0;
  readonly #thresholds: HealthThresholds;
  readonly #onChange: HealthListener;

  constructor(spec: HostSpec, source: HostSource, pool: PoolSettings, thresholds: HealthThresholds, onChange: HealthListener) {
    const url = new URL(spec.url);
    this.id = spec.id;
    this.url = spec.url;
    this.source = source;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.#weight = spec.weight;
    this.#thresholds = thresholds;
    this.#onChange = onChange;
    this.pool = new Pool(url.origin, {
      connections: pool.connections,
      pipelining: 1,
      connectTimeout: pool.connectTimeoutMs,
      headersTimeout: pool.tryTimeoutMs,
      bodyTimeout: pool.tryTimeoutMs,
    });
  }

  get weight(): number {
    return this.#weight;
  }
  get healthy(): boolean {
    return this.#healthy;
  }
  get inflight(): number {
    return this.#inflight;
  }
  get consecutiveFailures(): number {
    return this.#failures;
  }

  setWeight(weight: number): void {
    this.#weight = weight;
  }

  begin(): void {
    this.#inflight++;
  }
  end(): void {
    this.#inflight--;
  }

  /** An active check or a proxied try succeeded. */
  recordSuccess(active: boolean): void {
    this.#failures = 0;
    if (!active || this.#healthy) return;
    this.#successes++;
    if (this.#successes >= this.#thresholds.rise) this.#set(true, 'health checks passed');
  }

  /** An active check failed, or a proxied try timed out. */
  recordFailure(reason: string): void {
    this.#successes = 0;
    this.#failures++;
    if (this.#healthy && this.#failures >= this.#thresholds.fall) this.#set(false, reason);
  }

  /** A connect error on a proxied try: the host is unreachable now, take it out at once. */
  markDown(reason: string): void {
    this.#successes = 0;
    this.#failures++;
    if (this.#healthy) this.#set(false, reason);
  }

  /** Waits for in-flight requests, then closes the pool's sockets. */
  async close(): Promise<void> {
    await this.pool.close();
  }

  #set(healthy: boolean, reason: string): void {
    this.#healthy = healthy;
    this.#successes = 0;
    this.#onChange(this, reason);
  }

  toJSON() {
    return {
      id: this.id,
      url: this.url,
      weight: this.#weight,
      healthy: this.#healthy,
      source: this.source,
      inflight: this.#inflight,
      consecutiveFailures: this.#failures,
    };
  }
}
