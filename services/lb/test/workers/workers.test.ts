import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { closedPort } from '@sdl/testing';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LbState } from '../../src/control.js';
import { startUpstream, staticList, type TestUpstream } from '../support/helpers.js';

// LB_WORKERS=2 as the container runs it: the built lb (dist/main.js) as a real process tree, a
// primary and two node:cluster workers sharing the proxy port with SO_REUSEPORT.
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const TIMEOUT = { timeout: 15_000, interval: 100 };

let lb: ChildProcess;
let admin: string;
let proxy: string;
const upstreams: TestUpstream[] = [];
const keepAlive = new Agent({ connections: 1 });

const adminState = async (): Promise<LbState> => {
  const res = await request(`${admin}/admin/lb`);
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as LbState;
};
/** One request on a connection of its own (a new connection is what the kernel spreads). */
const fresh = async (path = '/x'): Promise<number> => {
  const res = await request(`${proxy}${path}`, { reset: true });
  await res.body.dump();
  return res.statusCode;
};
const metricSum = (text: string, name: string): number =>
  text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (pnpm build)`);
  for (const id of ['a', 'b']) upstreams.push(await startUpstream(id));
  const [adminPort, proxyPort] = [await closedPort(), await closedPort()];
  admin = `http://127.0.0.1:${adminPort}`;
  proxy = `http://127.0.0.1:${proxyPort}`;
  lb = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(adminPort),
      PROXY_PORT: String(proxyPort),
      LB_WORKERS: '2',
      STATIC_UPSTREAMS: staticList(upstreams),
      SHUTDOWN_GRACE_MS: '3000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await vi.waitFor(async () => {
    const res = await request(`${admin}/readyz`);
    await res.body.dump();
    expect(res.statusCode).toBe(200);
  }, TIMEOUT);
});

afterAll(async () => {
  if (lb.exitCode === null && lb.signalCode === null) {
    lb.kill('SIGKILL');
    await once(lb, 'exit');
  }
  await keepAlive.close();
  await Promise.all(upstreams.map((u) => u.stop()));
});

describe('the lb with LB_WORKERS=2', () => {
  it('runs two workers on one port, the kernel spreading new connections over both', async () => {
    const before = await adminState();
    expect(before.workers).toBe(2);
    expect(new Set(before.perWorker?.map((w) => w.pid)).size).toBe(2);
    const statuses = await Promise.all(Array.from({ length: 60 }, () => fresh()));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const after = await adminState();
    const served = after.perWorker?.map((w) => w.served) ?? [];
    // 60 connections, each hashed to one of two sockets: both get some (all on one: p = 2^-59).
    expect(served.every((n) => n > 0)).toBe(true);
    expect(served.reduce((a, b) => a + b, 0)).toBe(60);
  });

  it('merges the workers metrics: the requests counted add up over both', async () => {
    const read = async () => {
      const res = await request(`${admin}/metrics`);
      return metricSum(await res.body.text(), 'lb_upstream_requests_total');
    };
    const before = await read();
    await Promise.all(Array.from({ length: 40 }, () => fresh()));
    expect((await read()) - before).toBe(40);
  });

  it('applies a strategy switch in every worker; a worker killed is forked again with it', async () => {
    const res = await request(`${admin}/admin/lb/strategy`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ strategy: 'weighted-round-robin', weights: { a: 3, b: 1 } }),
    });
    expect(res.statusCode).toBe(200);
    const state = (await res.body.json()) as LbState;
    expect(state.perWorker?.map((w) => w.strategy)).toEqual(['weighted-round-robin', 'weighted-round-robin']);
    const metrics = await (await request(`${admin}/metrics`)).body.text();
    expect(metrics).toMatch(/lb_strategy_info\{strategy="weighted-round-robin",hash_key="client"[^}]*\} 1/);
    expect(metrics).not.toMatch(/lb_strategy_info\{strategy="round-robin"/);

    // One keep-alive connection stays with one worker: its smooth WRR gives exactly 3:1.
    const counts: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const r = await request(`${proxy}/x`, { dispatcher: keepAlive });
      await r.body.dump();
      const id = String(r.headers['x-upstream']);
      counts[id] = (counts[id] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 30, b: 10 });

    const victim = state.perWorker?.[0]?.pid ?? 0;
    process.kill(victim, 'SIGKILL');
    await vi.waitFor(async () => {
      const now = await adminState();
      expect(now.perWorker).toHaveLength(2);
      expect(now.perWorker?.map((w) => w.pid)).not.toContain(victim);
      expect(now.perWorker?.map((w) => w.strategy)).toEqual(['weighted-round-robin', 'weighted-round-robin']);
    }, TIMEOUT);
    expect((await adminState()).hosts.find((h) => h.id === 'a')?.weight).toBe(3);
    const statuses = await Promise.all(Array.from({ length: 20 }, () => fresh()));
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  it('refuses a bad switch in the primary, before any worker sees it', async () => {
    const res = await request(`${admin}/admin/lb/strategy`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ strategy: 'round-robin', weights: { nosuch: 1 } }),
    });
    expect(res.statusCode).toBe(400);
    expect(((await res.body.json()) as { code: string }).code).toBe('LB_ERR_BAD_WEIGHTS');
    expect((await adminState()).strategy).toBe('weighted-round-robin');
  });

  it('drains and exits with its workers on SIGTERM', async () => {
    const pids = (await adminState()).perWorker?.map((w) => w.pid) ?? [];
    lb.kill('SIGTERM');
    const [code] = (await once(lb, 'exit')) as [number | null];
    expect(code).toBe(0);
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});

describe('the lb with LB_WORKERS=2 on a port it cannot share', () => {
  it('fails to start (exit status not 0) instead of waiting for its workers forever', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const child = spawn(process.execPath, [MAIN], {
        env: {
          ...process.env,
          HOST: '127.0.0.1',
          PORT: String(await closedPort()),
          PROXY_PORT: String(port),
          LB_WORKERS: '2',
          LOG_LEVEL: 'silent',
        },
        stdio: 'ignore',
      });
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
