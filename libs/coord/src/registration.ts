import type { Etcd3, Lease } from 'etcd3';
import type { Logger } from 'pino';

/** A key kept alive under a lease; `revoke()` deletes it at once (graceful deregistration). */
export interface Registration {
  readonly key: string;
  revoke(): Promise<void>;
}

/** What the coordinator keeps: release() stops the keep-alives without deleting (the key lapses). */
export interface RegistrationHandle extends Registration {
  release(): void;
}

interface RegisterOptions {
  readonly client: Etcd3;
  readonly logger: Logger;
  readonly key: string;
  readonly value: string;
  readonly ttlSeconds: number;
  /** Pause before registering again after a loss or failure, ms (default 1000). */
  readonly retryMs?: number;
}

// A lease lost while etcd was unreachable is re-granted, so a node that survives an etcd outage
// registers itself again instead of staying invisible to the load balancer. One lease at a time:
// a failed grant both emits `lost` and rejects the put, and only the first of the two may retry
// (else every outage would double the retry loops).
export async function register(options: RegisterOptions): Promise<RegistrationHandle> {
  const { client, logger, key, value, ttlSeconds } = options;
  const retryMs = options.retryMs ?? 1000;
  let current: Lease | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const abandon = (lease: Lease, err: unknown): boolean => {
    if (lease !== current) return false;
    current = undefined;
    lease.release();
    if (stopped) return false;
    logger.warn({ err, key }, 'registration lease lost; registering again');
    clearTimeout(retry);
    retry = setTimeout(() => void attempt().catch(() => undefined), retryMs);
    return true;
  };

  const attempt = async (): Promise<void> => {
    const lease = client.lease(ttlSeconds);
    current = lease;
    lease.on('lost', (err) => abandon(lease, err));
    try {
      await lease.put(key).value(value).exec();
    } catch (err) {
      abandon(lease, err);
      throw err;
    }
    // revoke() or release() may have been called while the put was in flight.
    if (stopped) await lease.revoke().catch(() => undefined);
    else if (lease === current) logger.info({ key }, 'registered');
  };

  const stop = (): Lease | undefined => {
    stopped = true;
    clearTimeout(retry);
    const lease = current;
    current = undefined;
    return lease;
  };

  try {
    await attempt();
  } catch (err) {
    // The caller learns of the failure; no retry keeps running behind its back.
    stop()?.release();
    throw err;
  }
  return {
    key,
    async revoke() {
      await stop()
        ?.revoke()
        .catch((err: unknown) => logger.warn({ err, key }, 'revoke failed; the key will lapse'));
    },
    release() {
      stop()?.release();
    },
  };
}
