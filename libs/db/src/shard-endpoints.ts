/**
 * Where a shard's servers are, as etcd holds it: one key per shard under a prefix, written by
 * `./lab shard promote N` (a failover) and watched by every node that holds shard pools. Endpoints
 * only (`host:port`): the credentials stay in the shard URL files, and a node joins the two.
 */
export interface ShardEndpoint {
  /** The shard's primary, `host:port`. */
  readonly primary: string;
  /** Its streaming replica, `host:port`, or null when it has none (after a promote). */
  readonly replica: string | null;
  /**
   * Names this placement (e.g. when it was written): a new epoch makes the nodes build a new pool even
   * to the same host, for a server replaced under the same name (`./lab shard rebuild N`). Default ''.
   */
  readonly epoch?: string;
}

/** Default etcd prefix of the endpoint keys: `/sdl/shard-endpoints/N` for shard N. */
export const SHARD_ENDPOINTS_PREFIX = '/sdl/shard-endpoints/';

export class ShardEndpointError extends Error {
  readonly code = 'DB_ERR_INVALID_SHARD_ENDPOINT';
}

const HOST_PORT = /^[A-Za-z0-9._-]+:[0-9]{1,5}$/;
const EPOCH = /^[A-Za-z0-9._:-]{0,64}$/;

function hostPort(value: unknown, field: string): string {
  // A port above 65535 would be dropped by URL's host setter, keeping the old one: refused here.
  if (typeof value !== 'string' || !HOST_PORT.test(value) || Number(value.slice(value.lastIndexOf(':') + 1)) > 65535) {
    throw new ShardEndpointError(`shard endpoint needs ${field} as host:port, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Parses a stored endpoint (`{"primary":"pg-1-replica:5432","replica":null}`); throws ShardEndpointError. */
export function parseShardEndpoint(raw: string): ShardEndpoint {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ShardEndpointError('shard endpoint is not JSON');
  }
  if (value === null || typeof value !== 'object') throw new ShardEndpointError('shard endpoint is not an object');
  const v = value as { primary?: unknown; replica?: unknown; epoch?: unknown };
  if (v.epoch !== undefined && (typeof v.epoch !== 'string' || !EPOCH.test(v.epoch))) {
    throw new ShardEndpointError('shard endpoint epoch must be up to 64 of [A-Za-z0-9._:-]');
  }
  return {
    primary: hostPort(v.primary, 'primary'),
    replica: v.replica === undefined || v.replica === null ? null : hostPort(v.replica, 'replica'),
    epoch: v.epoch ?? '',
  };
}

/** `url` with its host and port replaced by `endpoint` (user, password, database and options kept). */
export function withEndpoint(url: string, endpoint: string): string {
  const next = new URL(url);
  next.host = endpoint;
  return next.toString();
}

/** The `host:port` a Postgres URL names (port 5432 when it names none). */
export function endpointOf(url: string): string {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port === '' ? '5432' : port}`;
}

/** What watching needs of the coordinator (@sdl/coord's Coordinator has it). */
export interface EndpointSource {
  watchPrefix(
    prefix: string,
    onChange: (entries: ReadonlyMap<string, string>) => void,
  ): Promise<{ close(): Promise<void> }>;
  put(key: string, value: string): Promise<void>;
}

export interface ShardEndpointStoreOptions {
  readonly source: EndpointSource;
  /** Default SHARD_ENDPOINTS_PREFIX. */
  readonly prefix?: string;
  readonly shardCount: number;
}

/** The shard endpoints in etcd: publish one, watch them all. */
export class ShardEndpointStore {
  readonly #o: ShardEndpointStoreOptions;
  readonly prefix: string;

  constructor(options: ShardEndpointStoreOptions) {
    this.#o = options;
    this.prefix = options.prefix ?? SHARD_ENDPOINTS_PREFIX;
  }

  key(shard: number): string {
    return `${this.prefix}${shard}`;
  }

  async publish(shard: number, endpoint: ShardEndpoint): Promise<void> {
    await this.#o.source.put(this.key(shard), JSON.stringify(endpoint));
  }

  /**
   * Calls `onChange(shard, endpoint)` for every shard now and after every change of the prefix;
   * `undefined` = no key (the URL files hold). An invalid value is reported to `onInvalid` and
   * treated as absent for none: the shard's running pool stays as it is.
   */
  async watch(
    onChange: (shard: number, endpoint: ShardEndpoint | undefined) => void,
    onInvalid: (shard: number, err: unknown) => void,
  ): Promise<{ close(): Promise<void> }> {
    return this.#o.source.watchPrefix(this.prefix, (entries) => {
      for (let shard = 0; shard < this.#o.shardCount; shard++) {
        const raw = entries.get(this.key(shard));
        if (raw === undefined) {
          onChange(shard, undefined);
          continue;
        }
        try {
          onChange(shard, parseShardEndpoint(raw));
        } catch (err) {
          onInvalid(shard, err);
        }
      }
    });
  }
}

export function createShardEndpointStore(options: ShardEndpointStoreOptions): ShardEndpointStore {
  return new ShardEndpointStore(options);
}
