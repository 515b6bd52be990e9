import type { Etcd3, Lease } from 'etcd3';
import type { Logger } from 'pino';

/** A key kept alive under a lease; `revoke()` deletes it at once (graceful deregistration). */
export interface Registration {
  readonly key: string;
  revoke(): Promise<void>;
}

interface RegisterOptions {
  readonly client: Etcd3;
  readonly logger: Logger;
  readonly key: string;
  readonly value: string;
  readonly ttlSeconds: number;
}

// A lease lost while etcd was unreachable is re-granted, so a node that survives an etcd outage
// registers itself again instead of staying invisible to the load balancer.
export async function register(options: RegisterOptions): Promise<Registration> {
  const { client, logger, key, value, ttlSeconds } = options;
  let lease: Lease | undefined;
  let revoked = false;
  let retry: NodeJS.Timeout | undefined;

  const grant = async (): Promise<void> => {
    const next = client.lease(ttlSeconds);
    next.on('lost', (err) => {
      logger.warn({ err, key }, 'registration lease lost; registering again');
      if (!revoked) retry = setTimeout(() => void grantWithRetry(), 500);
    });
    await next.put(key).value(value);
    lease = next;
  };
  const grantWithRetry = async (): Promise<void> => {
    try {
      await grant();
      logger.info({ key }, 'registered');
    } catch (err) {
      logger.warn({ err, key }, 'registration failed; retrying');
      if (!revoked) retry = setTimeout(() => void grantWithRetry(), 1000);
    }
  };

  await grant();
  return {
    key,
    async revoke() {
      revoked = true;
      clearTimeout(retry);
      await lease?.revoke().catch((err: unknown) => logger.warn({ err, key }, 'revoke failed'));
    },
  };
}
