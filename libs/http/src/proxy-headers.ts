/** Header values as node:http and undici hand them over. */
export type HeaderMap = Record<string, string | string[]>;
type LooseHeaders = Readonly<Record<string, string | string[] | undefined>>;

// RFC 9110 section 7.6.1: headers that describe one connection, never the message, so a proxy
// drops them. `expect` too: neither proxy does 100-continue, both send the body at once.
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

const NONE: ReadonlySet<string> = new Set();

/**
 * The end-to-end headers of a message, lower-cased: hop-by-hop headers, the ones its own
 * `Connection` header lists, and `dropped` (the caller's policy, lower-case names) are left out.
 */
export function copyEndToEndHeaders(headers: LooseHeaders, dropped: ReadonlySet<string> = NONE): HeaderMap {
  const listed = connectionTokens(headers.connection);
  const out: HeaderMap = {};
  // for-in, not Object.entries: this runs twice per proxied request and the pairs array shows in profiles.
  for (const name in headers) {
    const value = headers[name];
    const lower = name.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(lower) || listed.has(lower) || dropped.has(lower)) continue;
    out[lower] = value;
  }
  return out;
}

/** The header names a `Connection` header lists (usually none: keep-alive is the default). */
function connectionTokens(connection: string | string[] | undefined): ReadonlySet<string> {
  if (connection === undefined) return NONE;
  const tokens = (Array.isArray(connection) ? connection.join(',') : connection)
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
  return tokens.length === 0 ? NONE : new Set(tokens);
}

/** `X-Forwarded-For` with `clientIp` appended to whatever trail the request brought. */
export function appendForwardedFor(prior: string | string[] | undefined, clientIp: string): string {
  const trail = Array.isArray(prior) ? prior.join(', ') : prior;
  return trail === undefined || trail.trim() === '' ? clientIp : `${trail}, ${clientIp}`;
}
