import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expandCorpus, rawExchange, readCorpus } from '@sdl/testing';
import { describe, expect, it } from 'vitest';
import { call, DEMO_KEY, GATEWAY } from './support/http.js';
import { execIn, labAsync } from './support/lab.js';

const execFileAsync = promisify(execFile);

/** Requests the lb has sent to api nodes so far (its admin port, from inside its container). */
async function lbForwarded(): Promise<number> {
  const script = "fetch('http://127.0.0.1:9901/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))";
  const text = await execIn('lb', ['node', '-e', script], 20_000);
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith('lb_upstream_requests_total{')) sum += Number(line.split(' ').at(-1));
  return sum;
}

/** What the api nodes logged since `since` (ISO time). */
async function apiLogs(since: string): Promise<string> {
  let all = '';
  for (const node of ['api-1', 'api-2', 'api-3']) {
    const id = (await labAsync(['compose', 'ps', '-q', node])).trim();
    const { stdout, stderr } = await execFileAsync('docker', ['logs', '--since', since, id], {
      maxBuffer: 64 * 1024 * 1024,
    });
    all += stdout + stderr;
  }
  return all;
}

// The hostile-input corpus (libs/testing/corpus/) against the compose cluster: the same files the
// gateway's and the api's component tests read, here through gateway -> lb -> api -> Postgres.
describe('hostile input at the edge of the running cluster', () => {
  it('answers every framing attack with one 4xx and a closed connection, and every hostile JSON body at the gateway: nothing reaches the lb', async () => {
    const before = await lbForwarded();
    for (const entry of readCorpus('framing.jsonl')) {
      const { responses, closed } = await rawExchange(GATEWAY, expandCorpus(entry.raw as string, { KEY: DEMO_KEY }));
      expect(
        responses.map((r) => r.status),
        entry.name,
      ).toEqual([(entry.status as number | undefined) ?? 400]);
      expect(closed, entry.name).toBe(true);
    }
    for (const entry of readCorpus('json.jsonl')) {
      const want = entry.gateway as { status: number; code: string };
      const contentType = (entry.contentType as string | undefined) ?? 'application/json';
      const body =
        typeof entry.bodyHex === 'string'
          ? Buffer.from(entry.bodyHex, 'hex')
          : expandCorpus(entry.body as string, { ACCOUNT: 'acc_01J0000000000000000000000Z' });
      const res = await fetch(
        `${GATEWAY}${expandCorpus((entry.path as string | undefined) ?? '/v1/accounts', { ACCOUNT: 'acc_01J0000000000000000000000Z' })}`,
        {
          method: (entry.method as string | undefined) ?? 'POST',
          headers: { 'x-api-key': DEMO_KEY, ...(contentType === '' ? {} : { 'content-type': contentType }) },
          body,
          signal: AbortSignal.timeout(15_000),
        },
      );
      expect(res.status, entry.name).toBe(want.status);
      expect(((await res.json()) as { code: string }).code, entry.name).toBe(want.code);
    }
    expect(await lbForwarded()).toBe(before);
  });

  it('answers SQL-injection payloads in paths, queries and bodies with a 4xx or a correct answer, never a 5xx or an SQL error', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const account = await call('POST', '/v1/accounts', { body: { email: 'sqli@hostile.test', name: 'Target' } });
    expect(account.status).toBe(201);
    const id = String(account.body.id);
    const statuses = new Map<string, number>();
    for (const entry of readCorpus('sql-injection.jsonl')) {
      const raw = expandCorpus(entry.value as string, { ACCOUNT: id });
      const p = encodeURIComponent(raw);
      const requests: [string, string, unknown?][] = [
        ['GET', `/v1/accounts/${p}`],
        ['PATCH', `/v1/accounts/${p}`, { name: 'x' }],
        ['GET', `/v1/accounts/${id}/posts?cursor=${p}`],
        ['GET', `/v1/accounts/${id}/posts?limit=${p}`],
        ['GET', `/v1/accounts/${id}/posts/${p}`],
        ['GET', `/v1/accounts/${id}/subscriptions/${p}/charges`],
        ['GET', `/v1/whoami?${p}=${p}`],
        ['PATCH', `/v1/accounts/${id}`, { name: raw }],
        ['POST', `/v1/accounts/${id}/posts`, { title: raw, body: raw }],
      ];
      for (const [method, path, body] of requests) {
        const res = await call(method, path, body === undefined ? {} : { body });
        statuses.set(`${method} ${path}`, res.status);
        expect(res.status, `${method} ${path}: ${res.text}`).toBeLessThan(500);
        if (res.status >= 400) expect(String(res.body.code), `${method} ${path}`).toMatch(/^(API_|GW_)?ERR_[A-Z_]+$/);
        // A payload accepted as a name is stored as text: it reads back byte for byte.
        if (method === 'PATCH' && path === `/v1/accounts/${id}` && res.status === 200) {
          expect((await call('GET', `/v1/accounts/${id}`)).body.name).toBe(raw);
        }
      }
    }
    expect(statuses.size).toBeGreaterThan(100);
    const logs = await apiLogs(since);
    expect(logs).not.toMatch(/syntax error at or near|SQLSTATE|unterminated quoted string/);
    // No request ended in an error: request-scoped lines carry a reqId (background components, such
    // as a Kafka consumer rebalancing while the test runs, log without one and are not the subject).
    const requestErrors = logs.split('\n').filter((line) => line.includes('"reqId"') && /"level":(50|60)/.test(line));
    expect(requestErrors).toEqual([]);
  });
});
