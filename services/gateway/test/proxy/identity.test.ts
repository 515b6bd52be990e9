import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge, type Listening, type Upstream } from '../support/servers.js';

const SECRET = 'identity-test-shared-secret';

// What the api trusts comes from the gateway alone: the tenant (the API key's client name) and the
// shared secret, whatever copies, spellings or Connection tricks the client sends.
describe('the identity the gateway sends upstream', () => {
  let edge: Edge | undefined;
  let upstream: Upstream;
  let gateway: Listening;

  beforeAll(async () => {
    edge = await startEdge({ API_KEYS: 'alpha:alpha-key,bravo:bravo-key', GATEWAY_SECRET: SECRET });
    ({ upstream, gateway } = edge);
  });
  afterAll(async () => {
    await edge?.close();
  });

  const send = async (headers: string[]) => {
    const res = await request(`${gateway.url}/v1/accounts`, { headers, headersTimeout: 5000, bodyTimeout: 5000 });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    return upstream.seen.at(-1)!.headers;
  };

  it.each([
    ['a spoofed tenant', ['x-tenant-id', 'alpha']],
    ['a spoofed tenant, twice and in capitals', ['X-Tenant-Id', 'alpha', 'x-tenant-id', 'admin']],
    ['a guessed secret', ['x-gateway-secret', 'guess']],
    ['hop-by-hop removal of the tenant', ['connection', 'x-tenant-id']],
    ['hop-by-hop removal of the secret and the forwarding trail', ['connection', 'x-gateway-secret, x-forwarded-for']],
    ['a spoofed client id', ['x-client-id', 'alpha']],
  ])('replaces %s with its own', async (_what, extra) => {
    const seen = await send(['x-api-key', 'bravo-key', ...extra]);
    expect(seen['x-tenant-id']).toBe('bravo');
    expect(seen['x-client-id']).toBe('bravo');
    expect(seen['x-gateway-secret']).toBe(SECRET);
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.connection).not.toContain('x-');
  });
});
