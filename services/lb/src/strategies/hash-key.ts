import type { IncomingHttpHeaders } from 'node:http';

/** What the hashing strategies hash: a request header, a path segment, or the client address. */
export type HashKey =
  | { readonly kind: 'client' }
  | { readonly kind: 'header'; readonly name: string }
  | { readonly kind: 'path'; readonly segment: number };

/** HASH_KEY syntax: `client`, `header:<name>` or `path:<index>` (0 = first non-empty segment). */
export const HASH_KEY_PATTERN = "^(client|header:[A-Za-z0-9!#$%&'*+.^_`|~-]+|path:\\d{1,2})$";

/** What HASH_KEY is unless set: the client address. */
export const DEFAULT_HASH_KEY = 'client';

/** Parses a HASH_KEY value; throws a TypeError naming the accepted forms. */
export function parseHashKey(spec: string): HashKey {
  if (spec === 'client') return { kind: 'client' };
  if (spec.startsWith('header:') && spec.length > 7) return { kind: 'header', name: spec.slice(7).toLowerCase() };
  const segment = /^path:(\d{1,2})$/.exec(spec);
  if (segment !== null) return { kind: 'path', segment: Number(segment[1]) };
  throw new TypeError(`hash key "${spec}" is not client, header:<name> or path:<index>`);
}

const splitList = (value: string | string[] | undefined): string[] =>
  (Array.isArray(value) ? value.join(',') : (value ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * The client's address: the socket peer, or, behind `trustedHops` proxies we trust, the
 * X-Forwarded-For entry that many hops back. Entries further left are client-supplied and could be
 * forged, so they are never used; a shorter chain than configured yields its leftmost entry.
 */
export function clientAddress(
  headers: IncomingHttpHeaders,
  remoteAddress: string | undefined,
  trustedHops: number,
): string {
  const chain = [...splitList(headers['x-forwarded-for']), remoteAddress ?? ''];
  return chain[Math.max(0, chain.length - 1 - trustedHops)]!;
}

export interface KeyedRequest {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress?: string;
}

/** The string to hash for a request; falls back to the client address when the header or segment is absent. */
export function hashKeyOf(req: KeyedRequest, key: HashKey, trustedHops: number): string {
  if (key.kind === 'header') {
    const value = req.headers[key.name];
    const text = Array.isArray(value) ? value.join(',') : value;
    if (text !== undefined && text !== '') return text;
  } else if (key.kind === 'path') {
    const path = req.url.split('?', 1)[0]!;
    const segment = path.split('/').filter((s) => s !== '')[key.segment];
    if (segment !== undefined) return segment;
  }
  return clientAddress(req.headers, req.remoteAddress, trustedHops);
}
