import { expandCorpus, readCorpus } from '@sdl/testing';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge, type Listening, type Upstream } from '../support/servers.js';

const KEY = 'json-key';
const VARS = { ACCOUNT: 'acc_01J0000000000000000000000Z' };

/** A corpus line's body as the bytes to send: a template, or raw bytes as hex. */
export function corpusBody(entry: Readonly<Record<string, unknown>>): Buffer {
  if (typeof entry.bodyHex === 'string') return Buffer.from(entry.bodyHex, 'hex');
  return Buffer.from(expandCorpus(entry.body as string, VARS), 'utf8');
}

// Hostile JSON bodies (libs/testing/corpus/json.jsonl) against the real gateway: each is refused
// at the edge with its stable code, and nothing reaches the upstream.
describe('JSON threat protection at the edge', () => {
  let edge: Edge | undefined;
  let upstream: Upstream;
  let gateway: Listening;

  beforeAll(async () => {
    edge = await startEdge({ API_KEYS: `json:${KEY}` });
    ({ upstream, gateway } = edge);
  });
  afterAll(async () => {
    await edge?.close();
  });

  const send = async (method: string, path: string, contentType: string, body: Buffer) => {
    const headers: Record<string, string> = { 'x-api-key': KEY };
    if (contentType !== '') headers['content-type'] = contentType;
    const res = await request(`${gateway.url}${path}`, {
      method: method as 'POST',
      headers,
      body,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    return { status: res.statusCode, text: await res.body.text() };
  };

  it('forwards well-formed JSON byte for byte (the control)', async () => {
    const body = Buffer.from(
      `{"email":"a@b.c","name":"Zoë \\u00e9\\n","n":[-0,1.5e10,9007199254740991,true,null],"constructor":"x",` +
        `"deep":${'['.repeat(31)}${']'.repeat(31)},"a":{"a":{"prototype":1}}}`,
    );
    const res = await send('POST', '/v1/accounts', 'application/json; charset=UTF-8', body);
    expect(res.status).toBe(200);
    expect(upstream.seen.at(-1)?.body).toBe(body.toString('utf8'));
  });

  it.each(readCorpus('json.jsonl'))('$name', async (entry) => {
    const want = entry.gateway as { status: number; code: string };
    const before = upstream.seen.length;
    const res = await send(
      (entry.method as string | undefined) ?? 'POST',
      expandCorpus((entry.path as string | undefined) ?? '/v1/accounts', VARS),
      (entry.contentType as string | undefined) ?? 'application/json',
      corpusBody(entry),
    );
    expect(res.status).toBe(want.status);
    expect(JSON.parse(res.text)).toMatchObject({ code: want.code });
    expect(upstream.seen.length).toBe(before);
  });
});
