import { createHash, randomBytes } from 'node:crypto';

// Crockford base32 (no I, L, O, U): ids survive being read aloud or typed in.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;

/** `acc_` + a 26-char ULID: 48-bit millisecond time, then 80 random bits. */
export const ACCOUNT_ID_PATTERN = /^acc_[0-9A-HJKMNP-TV-Z]{26}$/;

export function isAccountId(value: string): boolean {
  return ACCOUNT_ID_PATTERN.test(value);
}

/**
 * A new account id. The time prefix keeps ids roughly ordered (b-tree inserts stay local on each
 * shard); routing hashes the whole id, so the prefix does not skew the shard distribution.
 */
export function createAccountId(now: number = Date.now()): string {
  return createPrefixedId('acc', now);
}

/** Posts, subscriptions and charges: same ULID shape, their own prefix. */
export const POST_ID_PATTERN = /^pst_[0-9A-HJKMNP-TV-Z]{26}$/;
export const SUBSCRIPTION_ID_PATTERN = /^sub_[0-9A-HJKMNP-TV-Z]{26}$/;

/** `<prefix>_` + a ULID. */
export function createPrefixedId(prefix: 'acc' | 'pst' | 'sub' | 'chg', now: number = Date.now()): string {
  let time = '';
  let rest = Math.floor(now);
  for (let i = 0; i < TIME_CHARS; i++) {
    time = ALPHABET[rest % 32]! + time;
    rest = Math.floor(rest / 32);
  }
  // 256 is a multiple of 32, so masking a random byte keeps every character uniform.
  const bytes = randomBytes(RANDOM_CHARS);
  let random = '';
  for (const byte of bytes) random += ALPHABET[byte & 31]!;
  return `${prefix}_${time}${random}`;
}

/**
 * The id an idempotent create gets: every character from a hash of (prefix, owner, key), so a
 * retried POST with the same key names the same row and routes to the same shard. Such ids carry
 * no time: they do not sort by creation.
 */
export function createKeyedId(prefix: 'acc' | 'pst' | 'sub', owner: string, key: string): string {
  const digest = createHash('sha256').update(`${prefix}\0${owner}\0${key}`).digest();
  let chars = '';
  for (let i = 0; i < TIME_CHARS + RANDOM_CHARS; i++) chars += ALPHABET[digest[i]! & 31]!;
  return `${prefix}_${chars}`;
}
