import { randomBytes, randomUUID } from 'node:crypto';
import type { Operation } from '../experiment/schema.js';

/** A write the cluster acknowledged (2xx): what the oracles read back after the run. */
export type AcknowledgedWrite =
  | { kind: 'account'; key: string; id: string; written: { email: string; name: string } }
  | { kind: 'post'; key: string; accountId: string; id: string; written: { title: string; body: string } }
  | { kind: 'subscription'; key: string; accountId: string; id: string; written: { plan: string } };

/** A quorum store write acknowledged (kv.write): its version, and when the answer came (ms since the epoch). */
export interface KvWrite {
  readonly key: string;
  readonly kvKey: string;
  readonly version: string;
  readonly ackedAt: number;
}
/** A quorum store read answered (kv.read): when it was sent and the version it returned. */
export interface KvRead {
  readonly key: string;
  readonly kvKey: string;
  readonly sentAt: number;
  readonly version: string;
}

/** Keys of the quorum store per tenant: few, so reads follow writes of the same key closely. */
const KV_KEYS = 4;

/** One request to send, and what to remember when it is acknowledged. */
export interface PlannedRequest {
  readonly operation: Operation;
  readonly routeClass: 'read' | 'write';
  readonly key: string;
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly body?: unknown;
  /** Sent with every write: a retry of this POST must create nothing new. */
  readonly idempotencyKey?: string;
  /** Called with the parsed 2xx answer. */
  readonly acknowledged?: (answer: Record<string, unknown>) => void;
  /** The expected answer is 404 (a read of an id that does not exist): it counts as ok. */
  readonly expectNotFound?: true;
}

interface Tenant {
  readonly accounts: string[];
  readonly posts: Array<{ accountId: string; id: string }>;
  /** Accounts without a subscription yet (one plan per account). */
  readonly unsubscribed: string[];
  /** Quorum store keys with an acknowledged write (only those are read). */
  readonly kvWritten: Set<string>;
}

const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(Math.random() * list.length)];

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** `acc_` and 26 random Crockford base32 characters: the api's id shape, an id nobody created. */
export const missingAccountId = (): string => `acc_${Array.from(randomBytes(26), (b) => CROCKFORD[b & 31]!).join('')}`;

/**
 * A rank in [0, n) by Zipf's law with s = 1 (rank k drawn with weight 1 / (k + 1)): skewed key
 * popularity, as real reads have it; O(n) per draw (n is the few hundred seeded accounts).
 */
export function zipfRank(n: number, random: () => number = Math.random): number {
  let harmonic = 0;
  for (let k = 1; k <= n; k++) harmonic += 1 / k;
  let r = random() * harmonic;
  for (let k = 0; k < n; k++) if ((r -= 1 / (k + 1)) < 0) return k;
  return n - 1;
}

/**
 * What the generator sends: operations drawn by weight, on ids the cluster has acknowledged for the
 * request's tenant (an API key is a tenant). Every acknowledged write is kept for the oracles.
 */
export class Workload {
  readonly writes: AcknowledgedWrite[] = [];
  readonly kvWrites: KvWrite[] = [];
  readonly kvReads: KvRead[] = [];
  readonly #tenants = new Map<string, Tenant>();
  readonly #ops: Array<[Operation, number]>;
  readonly #totalWeight: number;
  readonly #keys: readonly string[];
  #n = 0;

  constructor(mix: Partial<Record<Operation, number>>, keys: readonly string[]) {
    this.#ops = Object.entries(mix) as Array<[Operation, number]>;
    this.#totalWeight = this.#ops.reduce((sum, [, w]) => sum + w, 0);
    this.#keys = keys;
    for (const key of keys) this.#tenants.set(key, { accounts: [], posts: [], unsubscribed: [], kvWritten: new Set() });
  }

  /** Draws the next operation by weight. */
  nextOperation(): Operation {
    let r = Math.random() * this.#totalWeight;
    for (const [op, w] of this.#ops) if ((r -= w) < 0) return op;
    return this.#ops[this.#ops.length - 1]![0];
  }

  /** The request for `operation` on a random tenant; undefined when that tenant has nothing to read yet. */
  plan(operation: Operation, key = pick(this.#keys)!): PlannedRequest | undefined {
    const tenant = this.#tenants.get(key)!;
    const n = ++this.#n;
    const write = (path: string, body: unknown, acknowledged: PlannedRequest['acknowledged']): PlannedRequest => ({
      operation,
      routeClass: 'write',
      key,
      method: 'POST',
      path,
      body,
      idempotencyKey: randomUUID(),
      acknowledged,
    });
    const read = (path: string): PlannedRequest => ({ operation, routeClass: 'read', key, method: 'GET', path });
    switch (operation) {
      case 'account.create': {
        const written = { email: `gd-${process.pid}-${n}@gameday.test`, name: `gameday ${n}` };
        return write('/v1/accounts', written, (a) => {
          const id = String(a.id);
          this.writes.push({ kind: 'account', key, id, written });
          tenant.accounts.push(id);
          tenant.unsubscribed.push(id);
        });
      }
      case 'post.create': {
        const accountId = pick(tenant.accounts);
        if (accountId === undefined) return undefined;
        const written = { title: `post ${n}`, body: `written by game day request ${n}` };
        return write(`/v1/accounts/${accountId}/posts`, written, (p) => {
          const id = String(p.id);
          this.writes.push({ kind: 'post', key, accountId, id, written });
          tenant.posts.push({ accountId, id });
        });
      }
      case 'subscription.create': {
        const accountId = tenant.unsubscribed.pop();
        if (accountId === undefined) return undefined;
        const written = { plan: 'basic' };
        return write(`/v1/accounts/${accountId}/subscriptions`, written, (s) => {
          this.writes.push({ kind: 'subscription', key, accountId, id: String(s.id), written });
        });
      }
      case 'kv.write': {
        // Per process, so runs never read each other's keys; the version comes back in the answer.
        const kvKey = `gd-${process.pid}-${Math.floor(Math.random() * KV_KEYS)}`;
        return {
          operation,
          routeClass: 'write',
          key,
          method: 'PUT',
          path: `/v1/kv/${kvKey}`,
          body: { value: `game day request ${n}` },
          acknowledged: (a) => {
            this.kvWrites.push({ key, kvKey, version: String(a.version), ackedAt: Date.now() });
            tenant.kvWritten.add(kvKey);
          },
        };
      }
      case 'kv.read': {
        const kvKey = pick([...tenant.kvWritten]);
        if (kvKey === undefined) return undefined;
        // Planned right before it is sent: a write acknowledged earlier must be seen.
        const sentAt = Date.now();
        return {
          ...read(`/v1/kv/${kvKey}`),
          acknowledged: (a) => this.kvReads.push({ key, kvKey, sentAt, version: String(a.version) }),
        };
      }
      case 'account.read': {
        const id = pick(tenant.accounts);
        return id === undefined ? undefined : read(`/v1/accounts/${id}`);
      }
      case 'account.read.missing':
        // A well-formed id (a ULID after acc_) that no create made: the filter or the database says 404.
        return { ...read(`/v1/accounts/${missingAccountId()}`), expectNotFound: true };
      case 'account.read.zipf': {
        const id = tenant.accounts[zipfRank(tenant.accounts.length)];
        return id === undefined ? undefined : read(`/v1/accounts/${id}`);
      }
      case 'account.read.hot': {
        const id = tenant.accounts[0];
        return id === undefined ? undefined : read(`/v1/accounts/${id}`);
      }
      case 'post.read': {
        const post = pick(tenant.posts);
        return post === undefined ? undefined : read(`/v1/accounts/${post.accountId}/posts/${post.id}`);
      }
      case 'view': {
        const post = pick(tenant.posts);
        if (post === undefined) return undefined;
        return write(`/v1/accounts/${post.accountId}/posts/${post.id}/views`, undefined, undefined);
      }
    }
  }
}
