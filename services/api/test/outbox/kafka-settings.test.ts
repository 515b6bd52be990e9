import type { ConfigError } from '@sdl/config';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../support/helpers.js';

const primaries = { SHARD_PRIMARIES: 'postgres://a/lab' };
const issuesOf = (env: Record<string, string>) => {
  try {
    testConfig({ ...primaries, ...env });
  } catch (err) {
    return (err as ConfigError).issues.map((i) => i.key);
  }
  return [];
};

describe('Kafka producer settings (KAFKA_ACKS, KAFKA_IDEMPOTENT)', () => {
  it('defaults to acks all, not idempotent', () => {
    expect(testConfig(primaries)).toMatchObject({ kafkaAcks: 'all', kafkaIdempotent: false });
  });

  it('takes 0, 1 and all, and nothing else', () => {
    for (const acks of ['0', '1', 'all']) expect(testConfig({ ...primaries, KAFKA_ACKS: acks }).kafkaAcks).toBe(acks);
    expect(issuesOf({ KAFKA_ACKS: '2' })).toEqual(['KAFKA_ACKS']);
  });

  it('refuses an idempotent producer without acks all', () => {
    expect(issuesOf({ KAFKA_IDEMPOTENT: 'true', KAFKA_ACKS: '1' })).toEqual(['KAFKA_IDEMPOTENT']);
    expect(issuesOf({ KAFKA_IDEMPOTENT: 'true' })).toEqual([]);
  });
});
