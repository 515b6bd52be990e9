import type { ErrorSpec } from '@sdl/errors';

/** The console's stable codes. */
export const ConsoleErrors = {
  unauthorized: {
    code: 'CONSOLE_ERR_UNAUTHORIZED',
    statusCode: 401,
    message: 'the console token is missing or wrong (open the URL `./lab console` prints)',
  },
  upstreamFailed: {
    code: 'CONSOLE_ERR_UPSTREAM',
    statusCode: 502,
    message: 'the admin API the action calls did not accept it',
    retriable: true,
  },
} as const satisfies Record<string, ErrorSpec>;
