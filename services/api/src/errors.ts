import type { ErrorSpec } from '@sdl/errors';

/** The api's own stable codes; the common ones (ERR_VALIDATION, ...) come from @sdl/errors. */
export const ApiErrors = {
  invalidId: { code: 'API_ERR_INVALID_ID', statusCode: 400, message: 'id is not a valid account id' },
  accountNotFound: { code: 'API_ERR_ACCOUNT_NOT_FOUND', statusCode: 404, message: 'account not found' },
  shardUnavailable: {
    code: 'API_ERR_SHARD_UNAVAILABLE',
    statusCode: 503,
    message: 'the shard holding this data is unavailable',
    retriable: true,
  },
} as const satisfies Record<string, ErrorSpec>;
