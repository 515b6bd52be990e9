import { Pool } from 'undici';
import type { HostSource, HostSpec } from './host-spec.js';
import type { Host } from '../strategies/strategy.js';

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

export interface WarmupSettings {
  /** Ramp the weight of a host that (re)joins from 10 % to 100 % over this long; 0: off. */
  readonly slowStartMs: number;
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
  #weightOverride: number | undefined;
  #healthy = true;
  /** When the host last (re)entered rotation, for slow start; undefined: fully warm. */
  #warmingSince: number | undefined;
  readonly #slowStartMs: number;
  // Passive outlier detection (see outlier-detector.ts): consecutive 5xx/connect errors and ejections.
  #consecutiveErrors = 0;
  #ejections = 0;
  #ejectedUntil = 0;
  #failures = 0;
  #successes = 0;
  #inflight = 0;
  readonly #thresholds: HealthThresholds;
  readonly #onChange: HealthListener;

  constructor(
    spec: HostSpec,
    source: HostSource,
    pool: PoolSettings,
    thresholds: HealthThresholds,
    onChange: HealthListener,
    warmup: WarmupSettings & { readonly warmNow: boolean } = { slowStartMs: 0, warmNow: false },
  ) {
    const url = new URL(spec.url);
    this.id = spec.id;
    this.url = spec.url;
    this.source = source;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.#weight = spec.weight;
    this.#thresholds = thresholds;
    this.#onChange = onChange;
    this.#slowStartMs = warmup.slowStartMs;
    if (warmup.warmNow) this.#startWarmup();
    this.pool = new Pool(url.origin, {
      connections: pool.connections,
      pipelining: 1,
      connectTimeout: pool.connectTimeoutMs,
      headersTimeout: pool.tryTimeoutMs,
      bodyTimeout: pool.tryTimeoutMs,
    });
  }

  /** The configured weight (registry or admin override), what the hashing strategies lay out. */
  get baseWeight(): number {
    return this.#weightOverride ?? this.#weight;
  }
  /** The weight in effect: during slow start, a tenth-stepped ramp up to the base weight. */
  get weight(): number {
    const base = this.baseWeight;
    if (this.#warmingSince === undefined) return base;
    const elapsed = performance.now() - this.#warmingSince;
    if (elapsed >= this.#slowStartMs) {
      this.#warmingSince = undefined;
      return base;
    }
    // Ten steps, not a continuous ramp, so weight-keyed layouts are not rebuilt on every request.
    return (base * Math.max(1, Math.ceil((10 * elapsed) / this.#slowStartMs))) / 10;
  }
  get warming(): boolean {
    return this.weight !== this.baseWeight;
  }
  get healthy(): boolean {
    return this.#healthy;
  }
  /** Out of rotation because of passive outlier detection (expires by itself). */
  get ejected(): boolean {
    if (this.#ejectedUntil === 0) return false;
    if (performance.now() < this.#ejectedUntil) return true;
    this.#ejectedUntil = 0;
    this.#startWarmup();
    return false;
  }
  /** Healthy by active checks and not ejected: what the balancer picks from. */
  get available(): boolean {
    return this.#healthy && !this.ejected;
  }
  get ejections(): number {
    return this.#ejections;
  }
  get consecutiveErrors(): number {
    return this.#consecutiveErrors;
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

  /** An admin weight that wins over the registry's until cleared with undefined. */
  overrideWeight(weight: number | undefined): void {
    this.#weightOverride = weight;
  }

  /** Counts a proxied outcome for outlier detection; returns the consecutive error count. */
  countOutcome(error: boolean): number {
    this.#consecutiveErrors = error ? this.#consecutiveErrors + 1 : 0;
    return this.#consecutiveErrors;
  }

  /** Takes the host out for `baseMs x ejection count` (capped at `maxMs`). */
  eject(baseMs: number, maxMs: number): number {
    this.#ejections++;
    const duration = Math.min(maxMs, baseMs * this.#ejections);
    this.#ejectedUntil = performance.now() + duration;
    this.#consecutiveErrors = 0;
    return duration;
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

  #startWarmup(): void {
    if (this.#slowStartMs > 0) this.#warmingSince = performance.now();
  }

  #set(healthy: boolean, reason: string): void {
    this.#healthy = healthy;
    if (healthy) this.#startWarmup();
    this.#successes = 0;
    this.#onChange(this, reason);
  }

  toJSON() {
    return {
      id: this.id,
      url: this.url,
      weight: this.baseWeight,
      healthy: this.#healthy,
      source: this.source,
      inflight: this.#inflight,
      consecutiveFailures: this.#failures,
      ...(this.#weightOverride === undefined ? {} : { registeredWeight: this.#weight }),
      ...(this.warming ? { effectiveWeight: this.weight } : {}),
      ...(this.#ejections === 0 ? {} : { ejected: this.ejected, ejections: this.#ejections }),
    };
  }
}
