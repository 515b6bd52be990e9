import type { ErrorSpec } from '@sdl/errors';

/** The provider's stable codes; callers (billing) match on `code` and retry only what is retriable. */
export const PaymentsErrors = {
  idempotencyKeyRequired: {
    code: 'PAY_ERR_IDEMPOTENCY_KEY_REQUIRED',
    statusCode: 400,
    message: 'the Idempotency-Key header is required',
  },
  idempotencyKeyInvalid: {
    code: 'PAY_ERR_IDEMPOTENCY_KEY_INVALID',
    statusCode: 400,
    message: 'the Idempotency-Key header must be 1 to 255 characters',
  },
  idempotencyMismatch: {
    code: 'PAY_ERR_IDEMPOTENCY_MISMATCH',
    statusCode: 422,
    message: 'this Idempotency-Key was used with a different request body',
  },
  chargeNotFound: {
    code: 'PAY_ERR_CHARGE_NOT_FOUND',
    statusCode: 404,
    message: 'no such charge',
  },
  providerUnavailable: {
    code: 'PAY_ERR_PROVIDER_UNAVAILABLE',
    statusCode: 503,
    message: 'the payment provider failed before charging; retry with the same Idempotency-Key',
    retriable: true,
  },
  acceptedTimeout: {
    code: 'PAY_ERR_TIMEOUT',
    statusCode: 504,
    message: 'the provider did not answer in time; the charge may have been made: retry with the same Idempotency-Key',
    retriable: true,
  },
  ledgerUnavailable: {
    code: 'PAY_ERR_LEDGER_UNAVAILABLE',
    statusCode: 503,
    message: 'the ledger could not be written; retry with the same Idempotency-Key',
    retriable: true,
  },
  ledgerCorrupt: {
    code: 'PAY_ERR_LEDGER_CORRUPT',
    statusCode: 500,
    message: 'the ledger file has an unreadable line',
  },
} as const satisfies Record<string, ErrorSpec>;
