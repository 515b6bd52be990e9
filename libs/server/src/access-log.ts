import { Type, type Static } from '@sinclair/typebox';

/** What each hop logs per request (every line a request writes carries its `reqId`). */
export const AccessLogConfigSchema = Type.Object({
  /**
   * `errors`: only the requests answered 5xx (the default: a line per request is a synchronous
   * write on the hot path, and the lab measures capacity); `all`: one info line per request.
   */
  accessLog: Type.Union([Type.Literal('errors'), Type.Literal('all')], { default: 'errors' }),
  /** SIGUSR2 logs every request for this long, ms, then the process goes back to ACCESS_LOG. */
  accessLogSignalMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
});
export type AccessLogConfig = Static<typeof AccessLogConfigSchema>;

/** The switch the request paths read: whether this request gets an info line even when it succeeded. */
export interface AccessLog {
  /** True under ACCESS_LOG=all, or within a window opened by `open`. */
  readonly all: boolean;
  /** Logs every request for the next `ms` (a later call restarts the window). */
  open(ms: number): void;
  /** Ends an open window (on shutdown: its timer must not keep the process alive). */
  close(): void;
}

/** An access-log switch in `mode` (default `errors`); `open` turns `all` on for a while. */
export function createAccessLog(mode: AccessLogConfig['accessLog'] = 'errors'): AccessLog {
  let windowOpen = false;
  let timer: NodeJS.Timeout | undefined;
  // A flag flipped by a timer, not a clock read per request: the request path only reads a boolean.
  return {
    get all() {
      return mode === 'all' || windowOpen;
    },
    open(ms) {
      clearTimeout(timer);
      windowOpen = true;
      timer = setTimeout(() => {
        windowOpen = false;
      }, ms);
      timer.unref();
    },
    close() {
      clearTimeout(timer);
      windowOpen = false;
    },
  };
}
