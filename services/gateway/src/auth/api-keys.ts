import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '@sdl/config';

export interface ApiKeys {
  /** The client name for a presented key, or undefined. Takes the same time whichever key matches. */
  authenticate(presented: string | undefined): string | undefined;
  /** The plan a client was given in API_KEYS (`name@plan:secret`), sent to the ratelimiter as a descriptor. */
  planOf(client: string): string | undefined;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * API keys from `name:secret` or `name@plan:secret` entries. Secrets are kept only as SHA-256 digests and compared in
 * constant time against every entry, so neither timing nor a heap dump gives a secret away.
 */
export function createApiKeys(pairs: readonly string[]): ApiKeys {
  const entries: { name: string; digest: Buffer }[] = [];
  const plans = new Map<string, string | undefined>();
  for (const pair of pairs) {
    const at = pair.indexOf(':');
    const [name = '', plan] = pair.slice(0, at).split('@');
    if (plans.has(name)) throw new ConfigError([{ key: 'API_KEYS', message: `duplicate client name ${name}` }]);
    plans.set(name, plan);
    entries.push({ name, digest: digest(pair.slice(at + 1)) });
  }
  return {
    authenticate(presented) {
      if (presented === undefined || presented === '') return undefined;
      const candidate = digest(presented);
      let match: string | undefined;
      // No early exit: every entry is compared whatever the outcome.
      for (const entry of entries) {
        if (timingSafeEqual(candidate, entry.digest)) match ??= entry.name;
      }
      return match;
    },
    planOf: (client) => plans.get(client),
  };
}

/** The key from `x-api-key`, else from `Authorization: Bearer <key>`. */
export function presentedKey(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const header = headers['x-api-key'];
  const apiKey = Array.isArray(header) ? header[0] : header;
  if (apiKey !== undefined && apiKey !== '') return apiKey;
  const auth = headers.authorization;
  const value = Array.isArray(auth) ? auth[0] : auth;
  const match = value === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}
