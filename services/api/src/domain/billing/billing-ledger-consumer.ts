import { parseEnvelope, type IncomingEvent } from '@sdl/events';
import type { Logger } from '@sdl/logging';
import { Counter, type Registry } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { kafkaSubscriber, subscribeInBackground, type EventSubscriber } from '../../outbox/event-subscription.js';
import type { ShardRouter } from '../../sharding/shard-router.js';
import type { BillingLedgerRepository, ChargeEvent } from './billing-ledger.js';

const CHARGE_EVENTS = new Set(['charge.created', 'charge.succeeded', 'charge.failed']);

/** The charge event in a message, or undefined when it is none (another type, or unreadable). */
export function asChargeEvent(value: string): ChargeEvent | undefined {
  const envelope = parseEnvelope(value);
  if (envelope === undefined || envelope.aggregateType !== 'charge' || !CHARGE_EVENTS.has(envelope.type)) {
    return undefined;
  }
  const data = (envelope.data ?? {}) as { accountId?: unknown; amountCents?: unknown };
  if (typeof data.accountId !== 'string' || typeof data.amountCents !== 'number') return undefined;
  return {
    eventId: envelope.eventId,
    type: envelope.type,
    accountId: data.accountId,
    chargeId: envelope.aggregateId,
    amountCents: data.amountCents,
  };
}

/**
 * The handler of `billing.events`: applies each charge event to its account's billing ledger, on
 * the account's shard (following partition moves like every write). A shard error rejects, so the
 * offset is not committed and the event comes again: at least once in, exactly once in effect.
 */
export function createBillingLedgerHandler(options: {
  readonly router: ShardRouter;
  readonly ledger: BillingLedgerRepository;
  readonly logger: Logger;
  /** Events by result: applied, duplicate (its id was applied before), skipped (not a charge event). */
  readonly events: Counter<'result'>;
}): (event: IncomingEvent) => Promise<void> {
  const { router, ledger, events } = options;
  const log = options.logger.child({ component: 'billing-ledger' });
  return async (event) => {
    const charge = asChargeEvent(event.value);
    if (charge === undefined) {
      events.inc({ result: 'skipped' });
      log.debug({ topic: event.topic, offset: event.offset }, 'not a charge event; skipped');
      return;
    }
    const applied = await router.write(charge.accountId, (route) => ledger.apply(route, charge));
    events.inc({ result: applied ? 'applied' : 'duplicate' });
  };
}

export interface BillingLedgerPluginOptions {
  /** Empty (and no `subscribe`): no consumer; the ledger stays as it is. */
  readonly brokers: readonly string[];
  /** A stand-in event source (tests); default: Kafka at `brokers`. */
  readonly subscribe?: EventSubscriber;
  readonly topic: string;
  readonly router: ShardRouter;
  readonly ledger: BillingLedgerRepository;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly retryMs?: number;
}

/**
 * The idempotent consumer of billing.events. All api nodes share the consumer group
 * `api-billing-ledger` (each event reaches one node; a rebalance or a relay publishing twice may
 * deliver it again, which processed_events absorbs). A new group reads from the beginning.
 */
export const billingLedgerPlugin = fp<BillingLedgerPluginOptions>(
  async (app: FastifyInstance, options) => {
    const log = options.logger.child({ component: 'billing-ledger' });
    if (options.subscribe === undefined && options.brokers.length === 0) {
      log.info('no KAFKA_BROKERS: the billing ledger projection is not kept');
      return;
    }
    const events = new Counter({
      name: 'api_billing_ledger_events_total',
      help: 'billing.events received by the ledger projection (result: applied, duplicate, skipped)',
      labelNames: ['result'] as const,
      registers: [options.registry],
    });
    subscribeInBackground(app, {
      subscribe:
        options.subscribe ??
        kafkaSubscriber({
          brokers: options.brokers,
          clientId: 'api-billing-ledger',
          groupId: 'api-billing-ledger',
          topics: [options.topic],
          fromBeginning: true,
          logger: options.logger,
          registry: options.registry,
        }),
      onEvent: createBillingLedgerHandler({ router: options.router, ledger: options.ledger, logger: log, events }),
      log,
      whileDown: 'billing ledger cannot subscribe; it catches up from its committed offset later',
      ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
    });
  },
  { name: 'billing-ledger' },
);
