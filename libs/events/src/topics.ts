import { createKafka, type KafkaConnection } from './kafka.js';

/** A topic and its partition count: the unit of parallelism of a consumer group sharing it. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
}

/**
 * Every topic of the lab, in one place. docker-compose.yml's `KAFKA_TOPICS` (read by the offline
 * mock cluster) must equal `topicsSpec()`; test/topics.test.ts checks it. Partitions bound how many
 * members of one group get work: a fifth member of a group on 4 partitions idles.
 */
export const LAB_TOPICS: readonly TopicSpec[] = [
  { name: 'accounts.events', partitions: 4 },
  { name: 'posts.events', partitions: 4 },
  { name: 'subscriptions.events', partitions: 4 },
  { name: 'billing.events', partitions: 4 },
];

/** The `KAFKA_TOPICS` form of a topic list: `name:partitions,...`. */
export function topicsSpec(topics: readonly TopicSpec[] = LAB_TOPICS): string {
  return topics.map((t) => `${t.name}:${t.partitions}`).join(',');
}

/** A topic that exists with another partition count than the one asked for. */
export class TopicPartitionsError extends Error {
  readonly code = 'EVENTS_ERR_TOPIC_PARTITIONS';
  constructor(
    readonly topic: string,
    readonly wanted: number,
    readonly found: number,
  ) {
    super(
      `topic ${topic} has ${found} partitions, ${wanted} wanted (librdkafka's mock auto-creates 4: ` +
        'list it in KAFKA_TOPICS for the mock, or create it with that count on a real broker)',
    );
    this.name = 'TopicPartitionsError';
  }
}

/**
 * Makes sure every topic exists with its partition count, before anyone subscribes (a consumer of
 * a missing topic sees nothing until a metadata refresh). A real broker creates them (admin
 * createTopics); librdkafka 2.0.2's mock has no CreateTopics, so there a metadata request creates
 * them by auto-creation (4 partitions). Rejects with TopicPartitionsError when a count differs.
 */
export async function ensureTopics(connection: KafkaConnection, topics: readonly TopicSpec[]): Promise<void> {
  const admin = createKafka(connection).admin();
  await admin.connect();
  try {
    await admin
      .createTopics({
        topics: topics.map((t) => ({ topic: t.name, numPartitions: t.partitions })),
        waitForLeaders: true,
      })
      .catch((err: unknown) =>
        connection.logger.debug({ err }, 'createTopics refused (librdkafka mock); relying on auto-creation'),
      );
    const { topics: found } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
    for (const t of topics) {
      const count = found.find((f) => f.name === t.name)?.partitions.length ?? 0;
      if (count !== t.partitions) throw new TopicPartitionsError(t.name, t.partitions, count);
    }
  } finally {
    await admin.disconnect();
  }
}
