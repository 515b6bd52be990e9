export { createEventProducer, type EventProducer, type ProducerOptions, type OutgoingEvent } from './producer.js';
export { createEventConsumer, type EventConsumer, type ConsumerOptions, type IncomingEvent } from './consumer.js';
export { encodeEnvelope, parseEnvelope, type EventEnvelope } from './envelope.js';
