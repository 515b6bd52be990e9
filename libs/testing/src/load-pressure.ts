import type { FastifyInstance } from 'fastify';

/** One answer, as a load-shedding test reads it. */
export interface Answer {
  readonly status: number;
  /** The problem+json `code`, when the body has one. */
  readonly code: string | undefined;
  readonly retryAfter: string | undefined;
}

/** What a shedding process answers (ERR_OVERLOADED, Retry-After: the 250 ms sample period, rounded up). */
export const OVERLOADED: Answer = { status: 503, code: 'ERR_OVERLOADED', retryAfter: '1' };

/** Sends one request and reads its answer (see injected, fetched). */
export type Send = () => Promise<Answer>;

/** What a process whose event loop was saturated answered (see observeShedding). */
export interface SheddingObservation {
  /** The first answer to the request that was a 503, sent right after a burst. */
  readonly shed: Answer;
  /** The probe's answer, sent right after the next burst. */
  readonly probe: Answer;
  /** The request's first answer that was not a 503, once the bursts stopped. */
  readonly recovered: Answer;
}

function answerOf(status: number, body: string, retryAfter: string | string[] | null | undefined): Answer {
  let code: string | undefined;
  try {
    code = (JSON.parse(body) as { code?: string }).code;
  } catch {
    code = undefined;
  }
  return { status, code, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : (retryAfter ?? undefined) };
}

/** `GET url` on a fastify app, without a listener. */
export function injected(app: FastifyInstance, url: string): Send {
  return async () => {
    const res = await app.inject({ method: 'GET', url });
    return answerOf(res.statusCode, res.body, res.headers['retry-after'] as string | undefined);
  };
}

/** `GET url` over HTTP (a listener that is not a fastify app, like the lb's proxy). */
export function fetched(url: string): Send {
  return async () => {
    const res = await fetch(url);
    return answerOf(res.status, await res.text(), res.headers.get('retry-after'));
  };
}

/** Keeps this process's event loop busy for `ms`, as a CPU-bound burst or a GC storm does. */
export function saturateEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

async function until(what: string, timeoutMs: number, attempt: () => Promise<Answer | undefined>): Promise<Answer> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const answer = await attempt();
    if (answer !== undefined) return answer;
    if (performance.now() >= deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Saturates this process's event loop in bursts of `burstMs` (default 300) until `send` is answered
 * 503, then asks `probe` after one more burst, then waits (bursts stopped) until `send` is answered
 * anything but 503. Each phase gives up after `timeoutMs` (default 15000). For the services whose
 * SHED_EVENT_LOOP_DELAY_MS is below `burstMs`: the caller asserts on what was answered.
 */
export async function observeShedding(
  send: Send,
  probe: Send,
  options: { readonly burstMs?: number; readonly timeoutMs?: number } = {},
): Promise<SheddingObservation> {
  const burstMs = options.burstMs ?? 300;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const shed = await until('no 503 under a saturated loop', timeoutMs, async () => {
    saturateEventLoop(burstMs);
    const answer = await send();
    return answer.status === 503 ? answer : undefined;
  });
  saturateEventLoop(burstMs);
  const probed = await probe();
  const recovered = await until('still 503 once the loop was idle', timeoutMs, async () => {
    const answer = await send();
    return answer.status === 503 ? undefined : answer;
  });
  return { shed, probe: probed, recovered };
}
