import { spawn, type ChildProcess } from 'node:child_process';

/** librdkafka's in-memory mock cluster, hosted by a kcat child process. */
export interface MockKafka {
  /** Bootstrap address, e.g. `127.0.0.1:40123`. */
  readonly brokers: string;
  /** Ends kcat and with it the cluster (in memory: every topic and offset is gone). */
  stop(): Promise<void>;
}

/**
 * Starts librdkafka's mock cluster (as the offline compose Kafka is) inside a kcat consumer of
 * `topic`; resolves once kcat prints the bootstrap address. `./lab setup` installs kcat (Debian
 * package); without it this rejects, so tests fail instead of skipping.
 */
export async function startMockKafka(topic = 'mock.bootstrap'): Promise<MockKafka> {
  const child: ChildProcess = spawn('kcat', ['-b', 'x:1', '-C', '-t', topic, '-X', 'test.mock.num.brokers=1', '-q'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const brokers = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      seen += chunk;
      const match = /replaced with (\S+)/.exec(seen);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`kcat exited (${code}) before the mock cluster started: ${seen}`)));
    child.once('error', (err) => reject(new Error(`cannot run kcat (./lab setup installs it): ${err.message}`)));
  });
  return {
    brokers,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill();
      await exited;
    },
  };
}
