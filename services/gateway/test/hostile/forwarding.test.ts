import { expandCorpus, rawExchange, readCorpus } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge, type Listening, type Upstream } from '../support/servers.js';

const KEY = 'forwarding-key';
const VARS = { TENANT: 'alpha', SECRET: 'forwarding-test-shared-secret', CLIENT_IP: '127.0.0.1' };

type Expected = string | null | { not: string } | { match: string };

// CRLF injection, hop-by-hop abuse and spoofed identity (libs/testing/corpus/forwarding.jsonl):
// requests the parser accepts, sent over raw sockets; what reaches the upstream is what the gateway
// decided, never what the client sent.
describe('what reaches the upstream', () => {
  let edge: Edge | undefined;
  let upstream: Upstream;
  let gateway: Listening;

  beforeAll(async () => {
    edge = await startEdge({ API_KEYS: `${VARS.TENANT}:${KEY}`, GATEWAY_SECRET: VARS.SECRET });
    ({ upstream, gateway } = edge);
  });
  afterAll(async () => {
    await edge?.close();
  });

  it.each(readCorpus('forwarding.jsonl'))('$name', async (entry) => {
    const path = (entry.path as string | undefined) ?? '/v1/echo';
    const extra = expandCorpus(entry.headers as string, VARS);
    const before = upstream.seen.length;
    const { responses } = await rawExchange(
      gateway.url,
      `GET ${path} HTTP/1.1\r\nHost: gw\r\nx-api-key: ${KEY}\r\n${extra}\r\n`,
      { responses: 1 },
    );
    expect(responses.map((r) => r.status)).toEqual([200]);
    expect(upstream.seen.length).toBe(before + 1);
    const seen = upstream.seen.at(-1)!;
    for (const [name, raw] of Object.entries(entry.upstream as Record<string, Expected>)) {
      const actual = name === 'url' ? seen.url : seen.headers[name];
      const want = typeof raw === 'string' ? expandCorpus(raw, VARS) : raw;
      if (want === null) expect(actual, name).toBeUndefined();
      else if (typeof want === 'string') expect(actual, name).toBe(want);
      else if ('not' in want) expect(actual, name).not.toBe(want.not);
      else expect(String(actual), name).toMatch(new RegExp(want.match));
    }
  });
});
