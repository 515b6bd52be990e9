export {
  createEventProducer,
  type Acks,
  type EventProducer,
  type ProducerOptions,
  type OutgoingEvent,
  IdempotenceConfigError,
} from './producer.js';
export {
  createEventConsumer,
  eventIdOf,
  type Assignment,
  type Delivery,
  type EventConsumer,
  type ConsumerOptions,
  type IncomingEvent,
} from './consumer.js';
export { encodeEnvelope, parseEnvelope, type EventEnvelope } from './envelope.js';
export {
  createProcessedEvents,
  processedEventsDdl,
  PROCESSED_EVENTS_TABLE,
  type ProcessedEvents,
  type ProcessedKey,
  type RunInTransaction,
  type SqlClient,
} from './processed-events.js';
export { ensureTopics, LAB_TOPICS, topicsSpec, TopicPartitionsError, type TopicSpec } from './topics.js';
export {
  createCrashRoundTables,
  runCrashRound,
  type CrashRoundOptions,
  type CrashRoundResult,
  type SqlQueryable,
} from './delivery-experiment.js';
