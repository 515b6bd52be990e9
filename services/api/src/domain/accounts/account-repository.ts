import type { Account, UpdateAccountInput } from './account.js';
import { appendOutboxEvent } from '../../outbox/outbox-store.js';
import type { ReadRouting } from '../../cache/read-through.js';
import type { ShardRoute } from '../../sharding/shard-router.js';
import type { ShardPools } from '../../db/shard-pools.js';
import { createOnce, onKeyConflict, type Created, type KeyScope } from '../../idempotency/create-once.js';
import type { IdempotentRequest } from '../../idempotency/idempotency-key.js';

interface AccountRow {
  id: string;
  tenant: string;
  email: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, tenant, email, name, created_at, updated_at';
const KEYS: KeyScope = { table: 'accounts', owner: 'tenant' };

function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    tenant: row.tenant,
    email: row.email,
    name: row.name,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Accounts on their shard's primary. Callers route first; the repository never guesses a shard.
 * Every change inserts its outbox event in the same transaction.
 */
export class AccountRepository {
  readonly #shards: ShardPools;

  constructor(shards: ShardPools) {
    this.#shards = shards;
  }

  /** A new account, or with an Idempotency-Key the one an earlier try made (no second event). */
  async create(
    route: ShardRoute,
    input: { id: string; tenant: string; email: string; name: string },
    request?: IdempotentRequest,
  ): Promise<Created<Account>> {
    return this.#shards.partitionTransaction(route.shard, [route.partition], 'account_create', async (client) => {
      return createOnce({
        client,
        request,
        scope: KEYS,
        ownerValue: input.tenant,
        columns: COLUMNS,
        insert: async () =>
          (
            await client.query<AccountRow>(
              `INSERT INTO accounts (id, tenant, email, name, partition, idempotency_key, request_hash)
               VALUES ($1, $2, $3, $4, $5, $6, $7) ${onKeyConflict(KEYS)} RETURNING ${COLUMNS}`,
              [input.id, input.tenant, input.email, input.name, route.partition, request?.key, request?.hash],
            )
          ).rows[0],
        toValue: toAccount,
        event: { aggregateType: 'account', eventType: 'account.created' },
      });
    });
  }

  /** undefined when the account does not exist (nothing changed, no event). */
  async update(route: ShardRoute, id: string, input: UpdateAccountInput): Promise<Account | undefined> {
    return this.#shards.partitionTransaction(route.shard, [route.partition], 'account_update', async (client) => {
      // COALESCE keeps omitted fields; both values still travel as parameters, never as SQL.
      const { rows } = await client.query<AccountRow>(
        `UPDATE accounts SET email = COALESCE($2, email), name = COALESCE($3, name), updated_at = now()
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, input.email ?? null, input.name ?? null],
      );
      if (rows[0] === undefined) return undefined;
      const account = toAccount(rows[0]);
      await appendOutboxEvent(client, {
        aggregateType: 'account',
        aggregateId: id,
        eventType: 'account.updated',
        payload: { account, changed: Object.keys(input) },
      });
      return account;
    });
  }

  /** Deletes the account and (ON DELETE CASCADE, same shard) its posts and subscriptions. */
  async delete(route: ShardRoute, id: string): Promise<boolean> {
    return this.#shards.partitionTransaction(route.shard, [route.partition], 'account_delete', async (client) => {
      const { rowCount } = await client.query('DELETE FROM accounts WHERE id = $1', [id]);
      if (rowCount === 0) return false;
      await appendOutboxEvent(client, {
        aggregateType: 'account',
        aggregateId: id,
        eventType: 'account.deleted',
        payload: { id },
      });
      return true;
    });
  }

  /** Where a read of this route may go now (see ShardPools.readTarget). */
  readRouting(route: ShardRoute): ReadRouting {
    const staleOk = this.#shards.partitionMode === 'availability';
    return { target: this.#shards.readTarget(route.shard), scopes: this.#shards.scopes, staleOk };
  }

  /** `replicaOk`: the shard's replica may answer (when it has replayed the request's token). */
  async findById(route: ShardRoute, id: string, replicaOk = false): Promise<Account | undefined> {
    return this.#shards.read(route.shard, 'account_get', replicaOk, async (client) => {
      const { rows } = await client.query<AccountRow>(`SELECT ${COLUMNS} FROM accounts WHERE id = $1`, [id]);
      return rows[0] === undefined ? undefined : toAccount(rows[0]);
    });
  }
}

export function createAccountRepository(shards: ShardPools): AccountRepository {
  return new AccountRepository(shards);
}
