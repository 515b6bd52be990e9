import type { Account } from './account.js';
import { appendOutboxEvent } from './outbox-store.js';
import type { ShardRoute } from './shard-router.js';
import type { ShardPools } from './shard-pools.js';

interface AccountRow {
  id: string;
  email: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, email, name, created_at, updated_at';

function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Accounts on their shard's primary. Callers route first; the repository never guesses a shard. */
export class AccountRepository {
  readonly #shards: ShardPools;

  constructor(shards: ShardPools) {
    this.#shards = shards;
  }

  /** Inserts the account and its `account.created` outbox event in one transaction. */
  async create(route: ShardRoute, input: { id: string; email: string; name: string }): Promise<Account> {
    return this.#shards.transaction(route.shard, 'account_create', async (client) => {
      const { rows } = await client.query<AccountRow>(
        `INSERT INTO accounts (id, email, name, partition) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
        [input.id, input.email, input.name, route.partition],
      );
      const account = toAccount(rows[0]!);
      await appendOutboxEvent(client, {
        aggregateType: 'account',
        aggregateId: account.id,
        eventType: 'account.created',
        payload: account,
      });
      return account;
    });
  }

  async findById(route: ShardRoute, id: string): Promise<Account | undefined> {
    return this.#shards.withClient(route.shard, 'account_get', async (client) => {
      const { rows } = await client.query<AccountRow>(`SELECT ${COLUMNS} FROM accounts WHERE id = $1`, [id]);
      return rows[0] === undefined ? undefined : toAccount(rows[0]);
    });
  }
}

export function createAccountRepository(shards: ShardPools): AccountRepository {
  return new AccountRepository(shards);
}
