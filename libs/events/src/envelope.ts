/**
 * The one shape of every event on the bus (the value of a Kafka message): what the outbox relay
 * writes and what every consumer reads. `eventId` is unique per state change: consumers
 * de-duplicate by it, since the relay publishes at least once.
 */
export interface EventEnvelope {
  readonly eventId: string;
  /** `account.created`, `post.views_added`, `charge.succeeded`, ... */
  readonly type: string;
  /** `account`, `post`, `subscription`, `charge`: also picks the topic. */
  readonly aggregateType: string;
  /** The Kafka key: one aggregate's events stay in order on one partition. */
  readonly aggregateId: string;
  /** ISO time of the state change (the outbox row's insert). */
  readonly occurredAt: string;
  readonly data: unknown;
}

/** The message value of an envelope. */
export function encodeEnvelope(envelope: EventEnvelope): string {
  return JSON.stringify(envelope);
}

/**
 * The envelope in a message value, or undefined when it is not one (not JSON, or a field missing
 * or of the wrong type): a consumer skips such a message, since no retry can make it readable.
 */
export function parseEnvelope(value: string): EventEnvelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { eventId, type, aggregateType, aggregateId, occurredAt, data } = parsed as Record<string, unknown>;
  const strings = [eventId, type, aggregateType, aggregateId, occurredAt];
  if (!strings.every((s): s is string => typeof s === 'string' && s.length > 0)) return undefined;
  return {
    eventId: eventId as string,
    type: type as string,
    aggregateType: aggregateType as string,
    aggregateId: aggregateId as string,
    occurredAt: occurredAt as string,
    data,
  };
}
