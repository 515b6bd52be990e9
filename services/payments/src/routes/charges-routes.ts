import { AppError } from '@sdl/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Audit } from '../audit/audit.js';
import { PaymentsErrors } from '../errors.js';
import type { Faults } from '../faults/faults.js';
import { fingerprint, type IdempotencyStore } from '../idempotency/idempotency.js';
import type { Charge, ChargeStore } from '../ledger/charge-store.js';
import type { PaymentsMetrics } from '../metrics.js';
import {
  AuditQuery,
  AuditReply,
  ChargeBody,
  ChargeParams,
  ChargeReply,
  ListQuery,
  ListReply,
  StatsReply,
} from './charge-schemas.js';

export interface ChargesRoutesOptions {
  readonly store: ChargeStore;
  readonly idempotency: IdempotencyStore<Charge>;
  readonly faults: Faults;
  readonly metrics: PaymentsMetrics;
  readonly audit: Audit;
}

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 1000;

function idempotencyKeyOf(req: FastifyRequest): string {
  const header = req.headers['idempotency-key'];
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || key === '') throw new AppError(PaymentsErrors.idempotencyKeyRequired);
  if (key.length > 255) throw new AppError(PaymentsErrors.idempotencyKeyInvalid);
  return key;
}

/** `/v1/charges`, `/v1/stats` and `/v1/audit`: the provider's API, the way a Stripe-like one answers. */
export async function chargesRoutes(app: FastifyInstance, options: ChargesRoutesOptions): Promise<void> {
  const { store, idempotency, faults, metrics, audit } = options;
  let replays = 0;

  app.post<{ Body: ChargeBody }>(
    '/v1/charges',
    {
      schema: { body: ChargeBody, response: { 200: ChargeReply, 201: ChargeReply } },
      // The key is checked before the body so a keyless request is told what it most needs to fix.
      preValidation: async (req) => void idempotencyKeyOf(req),
    },
    async (req, reply) => {
      const key = idempotencyKeyOf(req);
      const print = fingerprint(req.body);
      let result;
      try {
        result = await idempotency.execute(key, print, async () => {
          await faults.beforeCharge();
          const charge = await store.create(req.body, key, print);
          metrics.charges.inc();
          req.log.info({ chargeId: charge.id, reference: charge.reference, amount: charge.amount }, 'charge made');
          return charge;
        });
      } catch (err) {
        if (err instanceof AppError && err.code === PaymentsErrors.idempotencyMismatch.code) {
          metrics.conflicts.inc({ reason: 'mismatch' });
        }
        throw err;
      }
      if (result.waited) metrics.conflicts.inc({ reason: 'in_flight' });
      if (!result.replayed) {
        // The ambiguous case: the charge is made and durable, but the caller hears a timeout.
        if (faults.afterCharge()) await faults.timeOut();
        return reply.status(201).send(result.value);
      }
      replays += 1;
      audit.noteReplay(key);
      metrics.replays.inc();
      return reply.status(200).header('idempotent-replayed', 'true').send(result.value);
    },
  );

  app.get<{ Params: ChargeParams }>(
    '/v1/charges/:id',
    { schema: { params: ChargeParams, response: { 200: ChargeReply } } },
    async (req) => {
      const charge = store.get(req.params.id);
      if (charge === undefined) throw new AppError(PaymentsErrors.chargeNotFound, { details: { id: req.params.id } });
      return charge;
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/v1/charges',
    { schema: { querystring: ListQuery, response: { 200: ListReply } } },
    async (req) => {
      const limit = Math.min(Number(req.query.limit ?? DEFAULT_LIST_LIMIT), MAX_LIST_LIMIT);
      return store.list(req.query.reference, limit);
    },
  );

  app.get('/v1/stats', { schema: { response: { 200: StatsReply } } }, async () => ({
    charges: store.size,
    replays,
  }));

  app.get<{ Querystring: AuditQuery }>(
    '/v1/audit',
    { schema: { querystring: AuditQuery, response: { 200: AuditReply } } },
    async (req) =>
      audit.report(store.all(), {
        ...(req.query.prefix === undefined ? {} : { prefix: req.query.prefix }),
        detail: req.query.detail === 'true',
      }),
  );
}
