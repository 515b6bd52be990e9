import { performance } from 'node:perf_hooks';
import { BillingErrors } from '../errors.js';
import type { BillingMetrics, ProviderResult } from './billing-metrics.js';
import type { ChargeRow } from './charge-rows.js';

/** What one call to the provider came to. */
export type ProviderAnswer =
  | { readonly kind: 'charged'; readonly providerChargeId: string; readonly replayed: boolean }
  /** Refused for good (4xx): the charge is marked failed with this code. */
  | { readonly kind: 'permanent'; readonly code: string }
  /** Not known to be charged or not (5xx, 504, timeout, unreachable): retry with the same key. */
  | { readonly kind: 'retriable'; readonly code: string };

export interface ProviderClientOptions {
  /** Base URL of the payments service. */
  readonly url: string;
  /** One call gives up after this long (a retriable answer). */
  readonly timeoutMs: number;
  readonly metrics: BillingMetrics;
}

export interface ProviderClient {
  /**
   * Charges `charge` under its idempotency key. The body is made from the charge row alone, so
   * every attempt by every leader sends the same request (the provider compares them). Rejects
   * only when `signal` aborts (the replica was demoted): then nothing is known and the charge
   * stays pending for the next leader.
   */
  charge(charge: ChargeRow, signal: AbortSignal): Promise<ProviderAnswer>;
}

// 409 (a concurrent request, for providers that answer it) and 429 are worth a retry; other 4xx are not.
const RETRIABLE_4XX = new Set([408, 409, 425, 429]);

async function codeOf(res: Response, fallback: string): Promise<string> {
  try {
    const body = (await res.json()) as { code?: unknown };
    return typeof body.code === 'string' ? body.code : fallback;
  } catch {
    return fallback;
  }
}

/** The provider's API as billing uses it: POST /v1/charges with `Idempotency-Key`. */
export function createProviderClient(options: ProviderClientOptions): ProviderClient {
  const { metrics } = options;
  const endpoint = new URL('/v1/charges', options.url).toString();

  const call = async (charge: ChargeRow, signal: AbortSignal): Promise<[ProviderAnswer, ProviderResult]> => {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': charge.idempotencyKey },
        body: JSON.stringify({
          amount: charge.amountCents,
          currency: charge.currency,
          reference: charge.idempotencyKey,
          metadata: { chargeId: charge.id, subscriptionId: charge.subscriptionId, accountId: charge.accountId },
        }),
        signal: AbortSignal.any([signal, timeout]),
      });
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err;
      if (timeout.aborted) return [{ kind: 'retriable', code: BillingErrors.providerTimeout.code }, 'timeout'];
      return [{ kind: 'retriable', code: BillingErrors.providerUnreachable.code }, 'unreachable'];
    }
    if (res.status === 200 || res.status === 201) {
      const body = (await res.json().catch(() => ({}))) as { id?: unknown };
      if (typeof body.id !== 'string') {
        return [{ kind: 'retriable', code: BillingErrors.providerBadAnswer.code }, 'retriable'];
      }
      const replayed = res.status === 200;
      return [{ kind: 'charged', providerChargeId: body.id, replayed }, replayed ? 'replayed' : 'created'];
    }
    const code = await codeOf(res, `HTTP_${res.status}`);
    if (res.status >= 500 || RETRIABLE_4XX.has(res.status)) return [{ kind: 'retriable', code }, 'retriable'];
    return [{ kind: 'permanent', code }, 'permanent'];
  };

  return {
    async charge(charge, signal) {
      signal.throwIfAborted();
      const started = performance.now();
      metrics.providerInFlight.inc();
      try {
        const [answer, result] = await call(charge, signal);
        metrics.providerLatency.observe({ result }, (performance.now() - started) / 1000);
        return answer;
      } finally {
        metrics.providerInFlight.dec();
      }
    },
  };
}
