import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// kafkajs 2.2.4 rejoins a group from several places on its own: the runner after a rebalance error,
// and each fetcher that meets stale metadata (every one of them after a broker restart). Concurrent
// rejoins sent a second JoinGroup for the same member while the first waited, on another connection
// once the coordinator's broker object was replaced. A real broker answers the older request; the
// offline stand-in (librdkafka 2.0.2's mock) aborts (`Assertion '!member->resp' failed`), which
// took the kafka-down game day and every game day after it down in a CI run.
// patches/kafkajs@2.2.4.patch makes callers share the join in flight. This drives kafkajs's own
// ConsumerGroup over a scripted coordinator that answers a JoinGroup only when told to.
const require = createRequire(import.meta.url);
const src = require.resolve('kafkajs').replace(/index\.js$/, 'src/');

interface GroupMember {
  joinAndSync(): Promise<void>;
  memberId: string | null;
}
const ConsumerGroup = require(`${src}consumer/consumerGroup.js`) as new (options: object) => GroupMember;
const { MemberAssignment } = require(`${src}consumer/assignerProtocol.js`) as {
  MemberAssignment: { encode(assignment: object): Buffer };
};

const TOPIC = 'billing.events';
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const logger = { ...silent, namespace: () => silent };

/** A coordinator that holds each JoinGroup until `answer()`; it counts the JoinGroups in flight. */
function scriptedCoordinator() {
  const waiting: (() => void)[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  let joins = 0;
  const coordinator = {
    async joinGroup({ memberId }: { memberId: string }) {
      joins++;
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise<void>((resolve) => waiting.push(resolve));
      inFlight--;
      const id = memberId === '' ? 'member-1' : memberId;
      // Not the leader: the assignment comes with SyncGroup, as for a follower.
      return {
        generationId: joins,
        leaderId: 'member-0',
        memberId: id,
        members: [],
        groupProtocol: 'RoundRobinAssigner',
      };
    },
    async syncGroup() {
      return { memberAssignment: MemberAssignment.encode({ version: 0, assignment: { [TOPIC]: [0, 1] } }) };
    },
  };
  const cluster = {
    async findGroupCoordinator() {
      return coordinator;
    },
    findTopicPartitionMetadata: () => [0, 1, 2, 3].map((partitionId) => ({ partitionId })),
    async refreshMetadata() {},
    committedOffsets: () => ({}),
  };
  return {
    cluster,
    stats: () => ({ joins, mostInFlight, waiting: waiting.length }),
    /** Answers the JoinGroups waiting now (after letting the callers reach the coordinator). */
    async answer() {
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}

function member(cluster: object): GroupMember {
  return new ConsumerGroup({
    retry: { retries: 0 },
    cluster,
    groupId: 'api-billing-ledger',
    topics: [TOPIC],
    topicConfigurations: {},
    logger,
    instrumentationEmitter: { emit() {} },
    assigners: [
      { name: 'RoundRobinAssigner', protocol: () => ({ name: 'RoundRobinAssigner', metadata: Buffer.alloc(0) }) },
    ],
    sessionTimeout: 10_000,
    rebalanceTimeout: 60_000,
  });
}

describe('a consumer-group member rejoining from several places at once (kafkajs patch)', () => {
  it('sends one JoinGroup for concurrent rejoins, and each caller waits for it', async () => {
    const script = scriptedCoordinator();
    const group = member(script.cluster);
    const rejoins = [group.joinAndSync(), group.joinAndSync(), group.joinAndSync()];
    await script.answer();
    await Promise.all(rejoins);
    expect(script.stats()).toEqual({ joins: 1, mostInFlight: 1, waiting: 0 });
    expect(group.memberId).toBe('member-1');
  });

  it('joins again for a rejoin asked after the last one ended, with the member id it got', async () => {
    const script = scriptedCoordinator();
    const group = member(script.cluster);
    const first = group.joinAndSync();
    await script.answer();
    await first;
    const second = group.joinAndSync();
    await script.answer();
    await second;
    expect(script.stats()).toEqual({ joins: 2, mostInFlight: 1, waiting: 0 });
    expect(group.memberId).toBe('member-1');
  });
});
