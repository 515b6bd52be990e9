import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// kafkajs 2.2.4's send() kept its brokers' answers per broker across retries and skipped, on a
// retry, every broker that had answered once. After a leader change (a NOT_LEADER_FOR_PARTITION
// answer, then a metadata refresh) the partitions such a broker newly led were never sent, yet
// send() resolved: the outbox relay marked those events published and they were lost (the kafka-down
// game day: 24 posts missing from their topic, 24 others there twice). patches/kafkajs@2.2.4.patch
// keeps answers per partition. This drives kafkajs's own send loop over a scripted cluster whose
// leaders move under the producer, the way a restarted broker's do.
const require = createRequire(import.meta.url);
const src = require.resolve('kafkajs').replace(/index\.js$/, 'src/');

interface Message {
  readonly key: string | null;
  readonly value: string;
}
interface PartitionData {
  readonly partition: number;
  readonly messages: readonly Message[];
}
interface ProduceRequest {
  readonly topicData: readonly { topic: string; partitions: readonly PartitionData[] }[];
}
type Send = (request: {
  acks: number;
  timeout: number;
  compression?: number;
  topicMessages: readonly { topic: string; messages: readonly Message[] }[];
}) => Promise<readonly { topicName: string; partition: number; baseOffset: string }[]>;

const createSendMessages = require(`${src}producer/sendMessages.js`) as (deps: object) => Send;
const createRetry = require(`${src}retry/index.js`) as (options: object) => unknown;
const { createErrorFromCode } = require(`${src}protocol/error.js`) as { createErrorFromCode(code: number): Error };
const DefaultPartitioner = require(`${src}producer/partitioners/default/index.js`) as () => unknown;

const NOT_LEADER_FOR_PARTITION = 6;
const TOPIC = 'posts.events';
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Two brokers (ids 1 and 2) and one topic of four partitions. The brokers already follow `leaders`;
 * the producer's metadata says `stale` until it refreshes. Like a real broker, one writes the
 * partitions it leads and fails the request (NOT_LEADER_FOR_PARTITION) if any other was in it.
 */
function scriptedCluster(stale: Record<number, number>, leaders: Record<number, number>) {
  let metadata = stale;
  const log = new Map<number, string[]>();
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({ topicData }: ProduceRequest) {
      let misdirected = false;
      const partitions = [];
      for (const { topic, partitions: data } of topicData) {
        for (const { partition, messages } of data) {
          if (leaders[partition] !== nodeId) {
            misdirected = true;
            continue;
          }
          const written = log.get(partition) ?? [];
          partitions.push({ partition, errorCode: 0, baseOffset: String(written.length) });
          log.set(partition, [...written, ...messages.map((m) => m.value)]);
        }
        if (misdirected) throw createErrorFromCode(NOT_LEADER_FOR_PARTITION);
        return { topics: [{ topicName: topic, partitions }] };
      }
      return { topics: [] };
    },
  });
  const brokers = new Map([1, 2].map((id) => [id, broker(id)]));
  const cluster = {
    targetTopics: new Set<string>(),
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() {
      metadata = leaders;
    },
    async addMultipleTargetTopics() {},
    isConnected: () => true,
    removeBroker() {},
    findTopicPartitionMetadata: () =>
      Object.entries(metadata).map(([partitionId, leader]) => ({ partitionId: Number(partitionId), leader })),
    findLeaderForPartitions(_topic: string, partitions: readonly (string | number)[]) {
      const result: Record<number, number[]> = {};
      for (const p of partitions) (result[metadata[Number(p)]!] ??= []).push(Number(p));
      return result;
    },
    findBroker: async ({ nodeId }: { nodeId: string | number }) => brokers.get(Number(nodeId))!,
  };
  return { cluster, log };
}

const eosManager = {
  isTransactional: () => false,
  acquireBrokerLock: async () => undefined,
  releaseBrokerLock: async () => undefined,
  getSequence: () => 0,
  updateSequence() {},
  getProducerId: () => -1,
  getProducerEpoch: () => 0,
};

describe("kafkajs send() across a leader change (patched, kafkajs's own send loop)", () => {
  // Partition 1 moved from broker 2 to broker 1 behind the producer's back: broker 1 writes
  // partition 0 and answers; broker 2 refuses the request for 1, 2 and 3 (writing 2 and 3, which it
  // still leads). After the refresh, broker 1 leads 0 and 1.
  const stale = { 0: 1, 1: 2, 2: 2, 3: 2 };
  const leaders = { 0: 1, 1: 1, 2: 2, 3: 2 };

  for (const keyed of [true, false]) {
    it(`writes every message at least once, and resolves only then (${keyed ? 'keyed' : 'keyless'} messages)`, async () => {
      const { cluster, log } = scriptedCluster(stale, leaders);
      const send = createSendMessages({
        logger: silent,
        cluster,
        partitioner: DefaultPartitioner(),
        eosManager,
        retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
      });
      const messages = Array.from({ length: 40 }, (_, i) => ({ key: keyed ? `post_${i}` : null, value: `e${i}` }));
      const answers = await send({ acks: -1, timeout: 1000, topicMessages: [{ topic: TOPIC, messages }] });

      const written = [...log.values()].flat();
      const lost = messages.filter((m) => !written.includes(m.value)).map((m) => m.value);
      expect(lost).toEqual([]);
      // Only what the refused request wrote (partitions 2 and 3) may be there twice: at least once.
      const twice = [...new Set(written.filter((v, i) => written.indexOf(v) !== i))];
      const refused = [...(log.get(2) ?? []), ...(log.get(3) ?? [])];
      expect(twice.every((v) => refused.includes(v))).toBe(true);
      expect(log.get(0)?.length).toBe(messages.filter((m) => (log.get(0) ?? []).includes(m.value)).length);
      // The answer names every partition that holds messages, each once.
      const answered = answers.map((a) => a.partition).sort();
      expect(answered).toEqual([...log.keys()].sort());
    });
  }
});
