import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Where a read was served: `x-read-from`. `replica-stale`: the replica, without proof that it is
 * fresh enough, because the primary was unreachable and PARTITION_MODE=availability (`x-stale: true`).
 */
export type ReadFrom = 'primary' | 'replica' | 'replica-stale';

/**
 * What one request knows about read consistency: the write LSNs the client presented
 * (`x-read-token`), the LSNs of the writes it made (echoed back), and where its reads went.
 * `tokens === 'invalid'` (a malformed token) sends every read to the primary: a token the api
 * cannot read must not quietly lose read-your-writes.
 */
export interface ReadScope {
  readonly tokens: ReadonlyMap<number, bigint> | 'invalid';
  readonly writes: Map<number, bigint>;
  from: ReadFrom | undefined;
}

const LSN = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i;

/** `16/B374D848` -> its 64-bit position (what pg_wal_lsn_diff subtracts); undefined if malformed. */
export function parseLsn(text: string): bigint | undefined {
  const m = LSN.exec(text);
  if (m === null) return undefined;
  return (BigInt(`0x${m[1]!}`) << 32n) | BigInt(`0x${m[2]!}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** `x-read-token: <shard>:<lsn>[,<shard>:<lsn>...]`; absent or empty = no constraint. */
export function parseReadToken(header: string | string[] | undefined): ReadScope['tokens'] {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  const tokens = new Map<number, bigint>();
  if (text.trim() === '') return tokens;
  if (text.length > 1024) return 'invalid';
  for (const part of text.split(',')) {
    const [shardText, lsnText, extra] = part.trim().split(':');
    const lsn = lsnText === undefined ? undefined : parseLsn(lsnText);
    if (extra !== undefined || shardText === undefined || !/^[0-9]{1,4}$/.test(shardText) || lsn === undefined)
      return 'invalid';
    const shard = Number(shardText);
    // Several tokens for one shard: the newest write wins.
    if ((tokens.get(shard) ?? -1n) < lsn) tokens.set(shard, lsn);
  }
  return tokens;
}

export function formatReadToken(writes: ReadonlyMap<number, bigint>): string {
  return [...writes]
    .sort(([a], [b]) => a - b)
    .map(([shard, lsn]) => `${shard}:${formatLsn(lsn)}`)
    .join(',');
}

/** The per-request scope, carried through async calls so repositories need no extra parameters. */
export class ReadScopes {
  readonly #storage = new AsyncLocalStorage<ReadScope>();

  /** Runs `fn` (and everything it starts) inside a new scope built from the request's token header. */
  run<T>(tokenHeader: string | string[] | undefined, fn: (scope: ReadScope) => T): T {
    const scope: ReadScope = { tokens: parseReadToken(tokenHeader), writes: new Map(), from: undefined };
    return this.#storage.run(scope, () => fn(scope));
  }

  current(): ReadScope | undefined {
    return this.#storage.getStore();
  }

  /** Records a committed write; a later write on the same shard replaces an earlier one. */
  noteWrite(shard: number, lsn: bigint): void {
    const writes = this.current()?.writes;
    if (writes !== undefined && (writes.get(shard) ?? -1n) < lsn) writes.set(shard, lsn);
  }

  /**
   * `replica-stale` wins (one unproven read makes the whole answer possibly stale), then `primary`
   * (one primary read means the answer was not only from a replica).
   */
  noteRead(from: ReadFrom): void {
    const scope = this.current();
    if (scope === undefined || scope.from === 'replica-stale') return;
    if (from === 'replica-stale' || scope.from !== 'primary') scope.from = from;
  }
}
