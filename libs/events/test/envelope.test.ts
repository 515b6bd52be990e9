import { describe, expect, it } from 'vitest';
import { encodeEnvelope, parseEnvelope, type EventEnvelope } from '../src/index.js';

const envelope: EventEnvelope = {
  eventId: '0b7c6f4e-0000-4000-8000-000000000001',
  type: 'charge.succeeded',
  aggregateType: 'charge',
  aggregateId: 'chg_01',
  occurredAt: '2026-12-02T10:00:00.000Z',
  data: { amountCents: 900 },
};

describe('event envelope', () => {
  it('round-trips through a message value', () => {
    expect(parseEnvelope(encodeEnvelope(envelope))).toEqual(envelope);
  });

  it('refuses what is not an envelope instead of throwing', () => {
    expect(parseEnvelope('not json')).toBeUndefined();
    expect(parseEnvelope('null')).toBeUndefined();
    expect(parseEnvelope('"a string"')).toBeUndefined();
    for (const field of ['eventId', 'type', 'aggregateType', 'aggregateId', 'occurredAt'] as const) {
      const { [field]: _dropped, ...rest } = envelope;
      expect(parseEnvelope(JSON.stringify(rest)), field).toBeUndefined();
      expect(parseEnvelope(JSON.stringify({ ...envelope, [field]: 42 })), field).toBeUndefined();
    }
  });

  it('keeps data of any shape, absent included', () => {
    const { data: _data, ...rest } = envelope;
    expect(parseEnvelope(JSON.stringify(rest))?.data).toBeUndefined();
    expect(parseEnvelope(encodeEnvelope({ ...envelope, data: [1, 2] }))?.data).toEqual([1, 2]);
  });
});
