import { Gauge, type Registry } from '@sdl/metrics';
import type { Assignment } from './consumer.js';

const NAME = 'events_consumer_lag';

type LagLabels = 'group' | 'topic' | 'partition';

/** The lag gauge of a registry (one per registry, shared by every consumer registered on it). */
function lagGauge(registry: Registry): Gauge<LagLabels> {
  const existing = registry.getSingleMetric(NAME) as Gauge<LagLabels> | undefined;
  return (
    existing ??
    new Gauge({
      name: NAME,
      help: "Messages a consumer group has not committed yet per partition this member holds: the partition's high watermark minus the group's next offset, as of the member's last fetch",
      labelNames: ['group', 'topic', 'partition'] as const,
      registers: [registry],
    })
  );
}

/** What a member reports: its lag as it consumes, and which partitions it no longer holds. */
export interface LagReporter {
  /** `nextOffset` is the offset the group resumes from (committed); `highWatermark` the partition's end. */
  report(topic: string, partition: number, nextOffset: string, highWatermark: string): void;
  /** After a rebalance: series of partitions another member now holds are dropped (it reports them). */
  assigned(assignment: Assignment): void;
}

/**
 * The consumer's own lag, computed from each fetched batch (kafkajs's high watermark) rather than
 * by an admin client listing group offsets, which librdkafka's mock cluster (the offline compose
 * Kafka) does not answer. A partition appears once a batch of it was fetched; while nothing new
 * arrives the last figure (0 once caught up) stays; a member that stops consuming without leaving
 * shows the lag of its last fetch, not the growing one.
 */
export function createLagReporter(registry: Registry | undefined, group: string): LagReporter {
  if (registry === undefined) return { report: () => undefined, assigned: () => undefined };
  const gauge = lagGauge(registry);
  const held = new Map<string, { topic: string; partition: string }>();
  return {
    report(topic, partition, nextOffset, highWatermark) {
      const lag = BigInt(highWatermark) - BigInt(nextOffset);
      const labels = { group, topic, partition: String(partition) };
      held.set(`${topic}/${partition}`, { topic, partition: labels.partition });
      gauge.set(labels, Number(lag > 0n ? lag : 0n));
    },
    assigned(assignment) {
      for (const [key, { topic, partition }] of held) {
        if (assignment[topic]?.includes(Number(partition)) === true) continue;
        gauge.remove({ group, topic, partition });
        held.delete(key);
      }
    },
  };
}
