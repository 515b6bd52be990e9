import { AppError } from '@sdl/errors';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ConsoleErrors } from '../errors.js';
import type { StatusPoller } from '../live/status-poller.js';
import { describeError, requestJson, UpstreamHttpError } from '../sources/http-json.js';

const StrategyBody = Type.Object(
  {
    strategy: Type.String({ minLength: 1, maxLength: 64 }),
    hashKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

const rate = Type.Number({ minimum: 0, maximum: 1 });
const ms = Type.Integer({ minimum: 0, maximum: 600_000 });
const FaultsBody = Type.Partial(
  Type.Object({ failRate: rate, acceptTimeoutRate: rate, acceptTimeoutMs: ms, slowRate: rate, slowMs: ms }),
  { additionalProperties: false, minProperties: 1 },
);

const MoveBody = Type.Object(
  { partition: Type.Integer({ minimum: 0, maximum: 65_535 }), toShard: Type.Integer({ minimum: 0, maximum: 255 }) },
  { additionalProperties: false },
);

export interface ControlRoutesOptions {
  readonly poller: StatusPoller;
  readonly lbAdminUrl: string;
  /** The api nodes' admin listeners, tried in order (a node that is down is skipped). */
  readonly apiAdminUrls: readonly string[];
  readonly paymentsAdminUrl: string;
  readonly timeoutMs: number;
}

/**
 * The page's actions: each calls the lab's own admin API, is logged (pino, warn: it changes the
 * cluster) and recorded in the page's action log. The admin API's refusal comes back as 502
 * CONSOLE_ERR_UPSTREAM with the admin API's own answer in `details`.
 */
export async function controlRoutes(app: FastifyInstance, options: ControlRoutesOptions): Promise<void> {
  const { poller } = options;
  const admin = (url: string, method: string, body?: unknown) =>
    requestJson(url, options.timeoutMs * 4, { method, body });

  async function act(action: string, body: unknown, call: () => Promise<unknown>): Promise<unknown> {
    try {
      const answer = await call();
      poller.record({ action, ok: true, detail: JSON.stringify(body ?? {}) });
      app.log.warn({ action, body }, 'console action');
      return answer;
    } catch (err) {
      poller.record({ action, ok: false, detail: describeError(err) });
      app.log.warn({ action, body, err }, 'console action refused');
      const upstream = err instanceof UpstreamHttpError ? { status: err.status, answer: err.body } : undefined;
      throw new AppError(ConsoleErrors.upstreamFailed, {
        cause: err,
        details: upstream ?? { reason: describeError(err) },
      });
    }
  }

  app.post<{ Body: Static<typeof StrategyBody> }>('/api/lb/strategy', { schema: { body: StrategyBody } }, (req) =>
    act(
      `lb strategy ${req.body.strategy}${req.body.hashKey === undefined ? '' : ` ${req.body.hashKey}`}`,
      req.body,
      () => admin(`${options.lbAdminUrl}/admin/lb/strategy`, 'PUT', req.body),
    ),
  );

  app.post<{ Body: Static<typeof FaultsBody> }>('/api/payments/faults', { schema: { body: FaultsBody } }, (req) =>
    act('payments faults', req.body, () => admin(`${options.paymentsAdminUrl}/admin/faults`, 'PUT', req.body)),
  );

  // The first api node that answers runs the move (202) or refuses it (its 4xx comes back in
  // `details`); a node that does not answer at all (down, unreachable) is skipped.
  app.post<{ Body: Static<typeof MoveBody> }>('/api/partition-moves', { schema: { body: MoveBody } }, (req) =>
    act(`move partition ${req.body.partition} to shard ${req.body.toShard}`, req.body, async () => {
      let failure: unknown = new Error('no api admin listener configured (API_ADMIN_URLS)');
      for (const url of options.apiAdminUrls) {
        try {
          return await admin(`${url}/admin/partition-moves`, 'POST', req.body);
        } catch (err) {
          failure = err;
          if (err instanceof UpstreamHttpError) break;
        }
      }
      throw failure;
    }),
  );

  app.delete('/api/payments/faults', () =>
    act('payments faults reset', undefined, () => admin(`${options.paymentsAdminUrl}/admin/faults`, 'DELETE')),
  );
}
