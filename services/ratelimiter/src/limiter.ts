import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import type { ConcurrencyLimiter, Lease } from './algorithms/concurrency.js';
import type { AlgorithmName, RateLimitAlgorithm } from './algorithms/rate-limit-algorithm.js';
import type { FailMode } from './config.js';
import { RateLimiterErrors } from './errors.js';
import type { RateLimiterMetrics } from './metrics.js';
import type { Descriptors, Rule, RuleSet } from './rules/rule-set.js';

export type { Descriptors } from './rules/rule-set.js';

/** The body of a `/v1/check` answer. */
export interface CheckAnswer {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetMs: number;
  /** Present only when the store failed and the answer is the fail mode's, not a count. */
  failMode?: FailMode;
  /** The enforcing rule; absent when no rule matched (then nothing limits the request). */
  rule?: string;
  /** The enforcing rule's window, for the RateLimit-Policy header. */
  windowMs?: number;
  /** Shadow rules that would have denied this request. */
  shadowDenied?: string[];
  /** In-flight leases taken by concurrency rules: release them (`POST /v1/release`) when the request ends. */
  leases?: Lease[];
  /**
   * Requests' worth of cost granted (each request costs `unitCost` units): the asked cost when
   * allowed, 0 when denied, and with `partial` possibly fewer than asked (a batch lease cut to what remains).
   */
  granted: number;
  /** The enforcing rule's cost per request (units), so a caller can size batches in requests. */
  unitCost?: number;
}

export interface CheckOptions {
  /** Grant what fits (at least 1) instead of denying a cost that does not fit whole. */
  readonly partial?: boolean;
}

export interface Limiter {
  check(descriptors: Descriptors, cost: number, options?: CheckOptions): Promise<CheckAnswer>;
  release(leases: readonly Lease[]): Promise<void>;
}

export interface LimiterOptions {
  readonly algorithms: Record<AlgorithmName, RateLimitAlgorithm>;
  readonly concurrency: ConcurrencyLimiter;
  /** The rules in force, read on every check so a reload applies at once. */
  readonly rules: () => RuleSet;
  /** What a rule without its own `failMode` does when Redis fails; a function is read on every check (run-time switch). */
  readonly failMode: FailMode | (() => FailMode);
  readonly metrics: RateLimiterMetrics;
  readonly logger: Logger;
}

// When the store fails the real window is unknown: suggest a short retry rather than a whole window.
const FAILURE_RESET_MS = 1000;

/**
 * Finds the request's rules, runs each through its algorithm, and turns a store failure into the
 * rule's fail mode (admit, or deny) instead of an error. Shadow rules are counted like any other but
 * only reported. Every matching rule is charged, so a shadow rule sees the real traffic.
 */
export function createLimiter(options: LimiterOptions): Limiter {
  const { algorithms, metrics } = options;
  const log = options.logger.child({ component: 'limiter' });
  const defaultFailMode = (): FailMode =>
    typeof options.failMode === 'function' ? options.failMode() : options.failMode;

  async function run(rule: Rule, descriptors: Descriptors, cost: number, partial = false): Promise<CheckAnswer> {
    if (rule.algorithm === 'concurrency') throw new TypeError('a concurrency rule has no rate algorithm');
    const algorithm = algorithms[rule.algorithm];
    const failMode = rule.failMode ?? defaultFailMode();
    const base = { limit: rule.limit, rule: rule.name, windowMs: rule.windowMs, unitCost: rule.cost };
    const check = async (c: number): Promise<CheckAnswer> => {
      const stopTimer = metrics.redisDuration.startTimer({ algorithm: algorithm.name });
      try {
        const params = { limit: rule.limit, windowMs: rule.windowMs, burst: rule.burst, cost: c * rule.cost };
        const d = await algorithm.check(rule.keyOf(descriptors), params);
        return { ...base, allowed: d.allowed, remaining: d.remaining, resetMs: d.resetMs, granted: d.allowed ? c : 0 };
      } finally {
        stopTimer();
      }
    };
    try {
      const whole = await check(cost);
      // A partial grant: the scripts report what still fits when they deny, so ask again for that
      // much (one more round trip, only on a denied batch; another caller may take it first). When
      // nothing fits, asking for 1 gives the reset of one request rather than of the whole batch.
      if (whole.allowed || !partial || cost <= 1) return whole;
      return await check(Math.max(1, Math.min(cost - 1, Math.floor(whole.remaining / rule.cost))));
    } catch (err) {
      metrics.redisErrors.inc();
      const failure = new AppError(RateLimiterErrors.redisUnavailable, { cause: err });
      log.warn(
        { err: failure, rule: rule.name, client: descriptors.client, failMode },
        'rate limit store failed; answering by fail mode',
      );
      return {
        ...base,
        allowed: failMode === 'open',
        remaining: failMode === 'open' ? rule.limit : 0,
        resetMs: Math.min(rule.windowMs, FAILURE_RESET_MS),
        granted: failMode === 'open' ? cost : 0,
        failMode,
      };
    }
  }

  // One lease per matching concurrency rule; a failing store answers by the rule's fail mode.
  async function acquire(
    rule: Rule,
    descriptors: Descriptors,
  ): Promise<{ rule: Rule; lease?: Lease; denied?: CheckAnswer }> {
    const failMode = rule.failMode ?? defaultFailMode();
    try {
      const d = await options.concurrency.acquire(rule.keyOf(descriptors), rule.limit, rule.windowMs);
      if (d.lease !== undefined) return { rule, lease: d.lease };
      const denied = {
        allowed: false,
        limit: rule.limit,
        remaining: 0,
        resetMs: d.resetMs,
        rule: rule.name,
        windowMs: rule.windowMs,
        granted: 0,
      };
      return { rule, denied };
    } catch (err) {
      metrics.redisErrors.inc();
      log.warn({ err, rule: rule.name, failMode }, 'concurrency store failed; answering by fail mode');
      if (failMode === 'open') return { rule };
      const denied = {
        allowed: false,
        limit: rule.limit,
        remaining: 0,
        resetMs: FAILURE_RESET_MS,
        rule: rule.name,
        windowMs: rule.windowMs,
        granted: 0,
        failMode,
      };
      return { rule, denied };
    }
  }

  async function release(leases: readonly Lease[]): Promise<void> {
    // A lease that cannot be released expires on its own; the failure is logged, not thrown.
    await Promise.all(
      leases.map((l) =>
        options.concurrency.release(l).catch((err: unknown) => log.warn({ err, key: l.key }, 'lease release failed')),
      ),
    );
  }

  const resultOf = (a: CheckAnswer): string =>
    a.failMode === undefined ? (a.allowed ? 'allowed' : 'denied') : `failed_${a.failMode}`;

  return {
    release,
    async check(descriptors, cost, checkOptions = {}) {
      const { enforcing, shadows, concurrency } = options.rules().match(descriptors);
      const [answer, ...shadowAnswers] = await Promise.all([
        enforcing === undefined ? undefined : run(enforcing, descriptors, cost, checkOptions.partial === true),
        ...shadows.map((r) => run(r, descriptors, cost)),
      ]);
      const shadowDenied: string[] = [];
      shadowAnswers.forEach((a, i) => {
        const rule = shadows[i]!.name;
        metrics.shadowDecisions.inc({ rule, result: resultOf(a!) });
        if (!a!.allowed) shadowDenied.push(rule);
      });
      if (shadowDenied.length > 0)
        log.info({ client: descriptors.client, rules: shadowDenied }, 'shadow rules would deny');
      const extra = shadowDenied.length > 0 ? { shadowDenied } : {};
      // No rate rule: nothing limits the rate (limit 0 tells the caller there is no policy to show).
      const rate: CheckAnswer = answer ?? { allowed: true, limit: 0, remaining: 0, resetMs: 0, granted: cost };
      const rateResult = answer === undefined ? 'unlimited' : resultOf(answer);
      if (!rate.allowed || concurrency.length === 0) {
        metrics.checks.inc({ result: rateResult, rule: rate.rule ?? '' });
        return { ...rate, ...extra };
      }
      const taken = await Promise.all(concurrency.map((r) => acquire(r, descriptors)));
      const leases = taken.flatMap((t) => (t.lease === undefined ? [] : [t.lease]));
      const denied = taken.find((t) => t.denied !== undefined)?.denied;
      if (denied !== undefined) {
        await release(leases);
        metrics.checks.inc({ result: resultOf(denied), rule: denied.rule ?? '' });
        return { ...denied, ...extra };
      }
      metrics.checks.inc({ result: rateResult, rule: rate.rule ?? '' });
      return { ...rate, ...extra, ...(leases.length > 0 ? { leases } : {}) };
    },
  };
}
