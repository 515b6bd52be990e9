import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LAB_TOPICS, topicsSpec } from '../src/topics.js';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

// LAB_TOPICS is the one list of topics and partition counts; everything that creates topics
// (compose's mock, the mock image's default, the Strimzi KafkaTopics) must say the same.
describe('the lab topics, in one place', () => {
  it('is the spec compose hands the mock cluster (KAFKA_TOPICS)', () => {
    const line = /^\s+KAFKA_TOPICS: (\S+)$/m.exec(read('docker-compose.yml'));
    expect(line?.[1]).toBe(topicsSpec());
    expect(topicsSpec()).toBe('accounts.events:4,posts.events:4,subscriptions.events:4,billing.events:4');
  });

  it("is the mock image's default", () => {
    expect(/ENV KAFKA_TOPICS=(\S+)/.exec(read('infra/images/kafka-mock/Dockerfile'))?.[1]).toBe(topicsSpec());
  });

  it("is Kubernetes' KafkaTopics, partition counts included", () => {
    const yaml = read('deploy/kubernetes/base/kafka.yaml');
    const found = [...yaml.matchAll(/kind: KafkaTopic\nmetadata:\n\s+name: (\S+)[\s\S]*?partitions: (\d+)/g)].map(
      (m) => ({ name: m[1], partitions: Number(m[2]) }),
    );
    expect(found).toEqual(LAB_TOPICS);
  });

  it("lists every topic the api's config names by default", () => {
    const config = read('services/api/src/config.ts');
    const fromCode = [...config.matchAll(/Topic: Type\.String\(\{[^}]*default: '([^']+)'/g)].map((m) => m[1]);
    expect(fromCode.length).toBeGreaterThan(0);
    expect(LAB_TOPICS.map((t) => t.name)).toEqual(expect.arrayContaining(fromCode));
  });
});
