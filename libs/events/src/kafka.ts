import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
}

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

// kafkajs logs a broker's "rebalance in progress" answer as an error, though a rebalance is routine
// (a member joined or left) and the client rejoins by itself: those lines go out at info.
const routine = /group is rebalancing/i;

// kafkajs logs through pino so every line has the same shape as the service's own.
export function createKafka(options: KafkaConnection): Kafka {
  const log = options.logger.child({ component: 'kafka' });
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 200 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const routineError = level === logLevel.ERROR && routine.test(String(rest['error'] ?? ''));
        log[routineError ? 'info' : (levels[level] ?? 'info')](rest, message);
      },
  });
}
