/** An HTTP answer that was not 2xx, with the upstream's body (a problem+json, usually). */
export class UpstreamHttpError extends Error {
  readonly code = 'CONSOLE_ERR_UPSTREAM_HTTP';
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

/** Sends one JSON request with a timeout; resolves to the parsed 2xx body, else throws UpstreamHttpError. */
export async function requestJson(
  url: string,
  timeoutMs: number,
  init: { readonly method?: string; readonly body?: unknown } = {},
): Promise<unknown> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    signal: AbortSignal.timeout(timeoutMs),
    ...(init.body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  if (!res.ok) throw new UpstreamHttpError(res.status, body);
  return body;
}

/** Why a read failed, in a few words for the page. */
export function describeError(err: unknown): string {
  if (err instanceof UpstreamHttpError) return err.message;
  const e = err as { name?: string; cause?: { code?: string }; message?: string };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.cause?.code ?? e.message ?? 'failed';
}
