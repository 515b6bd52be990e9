import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startEtcd, type Started } from '@sdl/testing';
import { Etcd3 } from 'etcd3';
import { pino, type Logger } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createCoordinator, type Coordinator } from '../src/index.js';

const run = promisify(execFile);

/** A logger that keeps its lines, so tests can count what happened. */
export function recordingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** Coordinators made for one test file; `closeAll()` in afterEach/afterAll. */
export function coordinators(endpoint: () => string): {
  make(options?: { logger?: Logger; endpoint?: string }): Coordinator;
  closeAll(): Promise<void>;
} {
  const made: Coordinator[] = [];
  return {
    make(options = {}) {
      const coordinator = createCoordinator({
        endpoints: [options.endpoint ?? endpoint()],
        logger: options.logger ?? pino({ level: 'silent' }),
      });
      made.push(coordinator);
      return coordinator;
    },
    async closeAll() {
      await Promise.all(made.splice(0).map((c) => c.close()));
    },
  };
}

/** `docker pause|unpause <id>`: freezes etcd so it accepts connections but answers nothing. */
export async function docker(verb: 'pause' | 'unpause', containerId: string): Promise<void> {
  await run('docker', [verb, containerId]);
}

/**
 * Lets time pass. Only for asserting that something does NOT happen (or is still there) over a
 * span such as a TTL; anything waiting for a condition uses vi.waitFor.
 */
export function observeFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Log lines with this message. */
export function count(lines: ReadonlyArray<Record<string, unknown>>, msg: string): number {
  return lines.filter((line) => line.msg === msg).length;
}

/** The candidates' keys of an election, in campaign order (straight from etcd, not through a Campaign). */
export async function electionKeys(url: string, election: string): Promise<string[]> {
  const client = new Etcd3({ hosts: [url] });
  try {
    const res = await client.getAll().prefix(`/sdl/elections/${election}/`).sort('Create', 'Ascend').exec();
    return res.kvs.map((kv) => kv.key.toString());
  } finally {
    client.close();
  }
}

/**
 * One real etcd for the calling describe block, and its coordinators. After each test the
 * coordinators close and etcd is unpaused (a test may have frozen it); after all, etcd stops.
 */
export function withEtcd(): { coords: ReturnType<typeof coordinators>; containerId(): string; url(): string } {
  let etcd: Started | undefined;
  const coords = coordinators(() => etcd!.url);
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterEach(async () => {
    if (etcd !== undefined) await docker('unpause', etcd.container.getId()).catch(() => undefined);
    await coords.closeAll();
  });
  afterAll(async () => {
    await etcd?.stop();
  });
  return { coords, containerId: () => etcd!.container.getId(), url: () => etcd!.url };
}
