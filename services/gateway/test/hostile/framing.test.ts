import { expandCorpus, rawExchange, readCorpus } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge, type Listening, type Upstream } from '../support/servers.js';

const KEY = 'framing-key';

// Request smuggling and framing against the real gateway over raw sockets (a client library would
// normalize or refuse these bytes): libs/testing/corpus/framing.jsonl, one attack a line.
describe('request smuggling and framing', () => {
  let edge: Edge | undefined;
  let upstream: Upstream;
  let gateway: Listening;

  beforeAll(async () => {
    edge = await startEdge({ API_KEYS: `framing:${KEY}` });
    ({ upstream, gateway } = edge);
  });
  afterAll(async () => {
    await edge?.close();
  });

  it('proxies the well-formed request the attacks are made from (the control)', async () => {
    const before = upstream.seen.length;
    const body = '{"a":1}';
    const ok = await rawExchange(
      gateway.url,
      `POST /v1/echo HTTP/1.1\r\nHost: gw\r\nx-api-key: ${KEY}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(ok.responses.map((r) => r.status)).toEqual([200]);
    expect(upstream.seen.length).toBe(before + 1);
    expect(upstream.seen.at(-1)?.body).toBe(body);
  });

  const corpus = readCorpus('framing.jsonl').map((e) => ({
    name: e.name,
    raw: e.raw as string,
    status: (e.status as number | undefined) ?? 400,
  }));
  it.each(corpus)('$name: one $status, the connection closed, nothing upstream', async (entry) => {
    const before = upstream.seen.length;
    const sent = expandCorpus(entry.raw, { KEY });
    const { responses, closed } = await rawExchange(gateway.url, sent);
    expect(responses.map((r) => r.status)).toEqual([entry.status]);
    expect(closed).toBe(true);
    expect(JSON.parse(responses[0]!.body)).toMatchObject({ code: expect.stringMatching(/^(GW_)?ERR_[A-Z_]+$/) });
    expect(upstream.seen.length).toBe(before);
  });
});
