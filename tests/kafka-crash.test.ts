import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { accountEvent } from './support/cluster-calls.js';
import { call } from './support/http.js';
import { chaos, execIn, inspect, isRunning, waitReady } from './support/lab.js';

// The broker has `restart: on-failure`: a crash (not a `docker stop` or `kill`, which Docker counts
// as stopped by hand) brings it back. The offline stand-in, librdkafka 2.0.2's mock, aborts on a
// protocol race (infra/kafka-mock/README.md); this aborts it the same way, with SIGABRT to the mock.
// The real broker's JVM is PID 1 of its container, where a signal it has no handler for is dropped.
const offline = (await inspect('kafka', '{{.Config.Image}}')).trim() === 'sdl/kafka-mock';

describe('a crashed Kafka broker', () => {
  it.runIf(offline)(
    'is restarted by Docker, and acknowledged writes still reach their topic',
    async () => {
      const restarts = Number(await inspect('kafka', '{{.RestartCount}}'));
      const started = await inspect('kafka', '{{.State.StartedAt}}');
      await execIn('kafka', ['sh', '-c', 'kill -ABRT "$(pidof mock-cluster)"']);
      // Had Docker not restarted it, the tests after this one still get a broker.
      onTestFinished(async () => {
        if (!(await isRunning('kafka'))) await chaos('start', 'kafka');
        await waitReady(['kafka']);
      });
      await vi.waitFor(
        async () => {
          expect(await inspect('kafka', '{{.State.StartedAt}}')).not.toBe(started);
          // At least once: a broker restart makes every consumer rejoin, the mock's weak spot.
          expect(Number(await inspect('kafka', '{{.RestartCount}}'))).toBeGreaterThan(restarts);
        },
        { timeout: 30_000, interval: 500 },
      );
      await waitReady(['kafka']);
      // The broker came back empty (in memory); the relay publishes what is committed from now on.
      const created = await call('POST', '/v1/accounts', { body: { email: 'crash@example.com', name: 'Crash' } });
      expect(created.status).toBe(201);
      expect((await accountEvent(String(created.body.id))).key).toBe(String(created.body.id));
    },
    150_000,
  );
});
