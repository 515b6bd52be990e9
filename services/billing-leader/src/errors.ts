import type { ErrorSpec } from '@sdl/errors';

/** billing-leader's own stable codes; the common ones (ERR_VALIDATION, ...) come from @sdl/errors. */
export const BillingErrors = {
  etcdUnavailable: {
    code: 'BILL_ERR_ETCD_UNAVAILABLE',
    statusCode: 503,
    message: 'etcd did not answer',
    retriable: true,
  },
} as const satisfies Record<string, ErrorSpec>;
