import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Paths pino blanks out in every log line: credentials never reach the logs. */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["x-gateway-secret"]',
  'headers["x-gateway-secret"]',
  'gatewaySecret',
  '*.gatewaySecret',
  'headers.authorization',
  'headers["x-api-key"]',
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'apiKeys',
  '*.apiKeys',
  'connectionString',
  '*.connectionString',
];

export interface LoggerOptions {
  /** Service name, logged as `service` on every line. */
  readonly name: string;
  /** Default `info`. */
  readonly level?: string;
  /** Extra fields on every line (for example the node id). */
  readonly base?: Record<string, unknown>;
  /** Default stdout. */
  readonly destination?: DestinationStream;
}

/** A pino logger: JSON lines, secrets redacted, ISO timestamps. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.name, ...options.base },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
