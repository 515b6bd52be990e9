import type { ClusterStatus } from '../sources/cluster-status.js';
import { samples } from './node-health.js';

export interface ConsumerLagRow {
  readonly group: string;
  readonly topic: string;
  /** Partitions the group's members hold (api_kafka_assigned_partitions), when reported. */
  readonly assigned?: number;
  /** Partitions with a lag figure (fetched at least once since their member joined). */
  readonly reporting: number;
  /** Messages not yet committed, summed over the partitions, and the worst partition. */
  readonly lag?: number;
  readonly maxPartitionLag?: number;
  readonly state: 'caught-up' | 'behind' | 'no-data';
  readonly stateLabel: string;
}

export interface ConsumersView {
  readonly rows: readonly ConsumerLagRow[];
}

/**
 * Consumer lag per group and topic, from what each member computes on its fetches
 * (`events_consumer_lag`, libs/events): the offline Kafka (librdkafka's mock cluster) answers no
 * group-offset listing, so the console cannot ask the broker. A group whose members have not
 * fetched since they joined shows NO DATA rather than 0.
 */
export function consumersView(status: ClusterStatus): ConsumersView {
  const key = (group: string, topic: string) => `${group}\u0000${topic}`;
  const lags = new Map<string, number[]>();
  for (const s of samples(status, 'consumerLag')) {
    const k = key(s.labels.group ?? '', s.labels.topic ?? '');
    lags.set(k, [...(lags.get(k) ?? []), s.value]);
  }
  const assigned = new Map(
    samples(status, 'consumerAssigned').map((s) => [key(s.labels.group ?? '', s.labels.topic ?? ''), s.value]),
  );
  const keys = [...new Set([...lags.keys(), ...assigned.keys()])].sort();
  const rows = keys.map((k): ConsumerLagRow => {
    const [group = '', topic = ''] = k.split('\u0000');
    const held = assigned.get(k);
    const list = lags.get(k) ?? [];
    const base = { group, topic, ...(held === undefined ? {} : { assigned: held }), reporting: list.length };
    if (list.length === 0) return { ...base, state: 'no-data', stateLabel: 'NO DATA (nothing fetched yet)' };
    const lag = list.reduce((sum, v) => sum + v, 0);
    const maxPartitionLag = Math.max(...list);
    return lag > 0
      ? { ...base, lag, maxPartitionLag, state: 'behind', stateLabel: `BEHIND by ${lag}` }
      : { ...base, lag, maxPartitionLag, state: 'caught-up', stateLabel: 'CAUGHT UP' };
  });
  return { rows };
}
