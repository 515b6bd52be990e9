import type { ErrorSpec } from '@sdl/errors';

/** billing-leader's own stable codes; the common ones (ERR_VALIDATION, ...) come from @sdl/errors. */
export const BillingErrors = {
  shardUnavailable: {
    code: 'BILL_ERR_SHARD_UNAVAILABLE',
    statusCode: 503,
    message: 'a shard primary did not answer',
    retriable: true,
  },
  schemaNotMigrated: {
    code: 'BILL_ERR_SCHEMA_NOT_MIGRATED',
    statusCode: 503,
    message: 'a shard has no billing schema yet (the api nodes migrate it at start-up)',
    retriable: true,
  },
  staleLeader: {
    code: 'BILL_ERR_STALE_LEADER',
    statusCode: 409,
    message: 'a newer leader has written to this shard: this token may no longer act',
  },
  partitionMoved: {
    code: 'BILL_ERR_PARTITION_MOVED',
    statusCode: 409,
    message: 'the partition moved to another shard; that shard bills it',
    retriable: true,
  },
  providerTimeout: {
    code: 'BILL_ERR_PROVIDER_TIMEOUT',
    statusCode: 504,
    message: 'the payment provider did not answer in time',
    retriable: true,
  },
  providerUnreachable: {
    code: 'BILL_ERR_PROVIDER_UNREACHABLE',
    statusCode: 503,
    message: 'the payment provider could not be reached',
    retriable: true,
  },
  providerBadAnswer: {
    code: 'BILL_ERR_PROVIDER_BAD_ANSWER',
    statusCode: 502,
    message: 'the payment provider answered something unreadable',
    retriable: true,
  },
} as const satisfies Record<string, ErrorSpec>;
