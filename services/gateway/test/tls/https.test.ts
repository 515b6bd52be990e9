import { connect, type ConnectionOptions } from 'node:tls';
import { rawExchange } from '@sdl/testing';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeCertificates, type Certificates } from '../support/certificates.js';
import { startEdge, type Edge } from '../support/servers.js';

const KEY = 'tls-test-key';

/** The outcome of a bare TLS handshake: the protocol and certificate serial, or the error code. */
async function handshake(
  url: string,
  options: ConnectionOptions,
): Promise<{ protocol?: string; serial?: string; error?: string }> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port), servername: 'localhost', ...options }, () => {
      const result = { protocol: socket.getProtocol() ?? '', serial: socket.getPeerCertificate().serialNumber };
      socket.end();
      resolve(result);
    });
    socket.once('error', (err: Error & { code?: string }) => resolve({ error: err.code ?? 'error' }));
  });
}

// HTTPS at the edge with a certificate from the lab's own script (a local CA): TLS 1.2+ with
// forward-secret AEAD suites only, HSTS on HTTPS answers, the same checks as plain HTTP, plain HTTP
// served/redirected/refused by setting, and a certificate rotated by replacing its file.
describe('HTTPS at the gateway', () => {
  let certs: Certificates | undefined;
  const edges: Edge[] = [];
  let edge: Edge;
  let agent: Agent;

  const start = async (env: Record<string, string> = {}): Promise<Edge> => {
    const started = await startEdge({
      API_KEYS: `tls:${KEY}`,
      TLS_PORT: '0',
      TLS_CERT_FILE: certs!.certFile,
      TLS_KEY_FILE: certs!.keyFile,
      TLS_RELOAD_POLL_MS: '50',
      HSTS_MAX_AGE_S: '600',
      ...env,
    });
    edges.push(started);
    return started;
  };

  beforeAll(async () => {
    certs = await makeCertificates();
    agent = new Agent({ connect: { ca: certs.ca } });
    edge = await start();
  });
  afterAll(async () => {
    await agent?.close();
    for (const e of edges) await e.close();
    await certs?.remove();
  });

  it('serves HTTPS with a certificate the local CA verifies, for localhost and 127.0.0.1, with HSTS', async () => {
    const url = edge.gateway.tlsUrl!;
    for (const base of [url, url.replace('localhost', '127.0.0.1')]) {
      const res = await request(`${base}/v1/echo`, { dispatcher: agent, headers: { 'x-api-key': KEY } });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
      expect(res.headers['strict-transport-security']).toBe('max-age=600');
      expect(edge.upstream.seen.at(-1)?.headers['x-forwarded-proto']).toBe('https');
    }
    // Refusals are HTTPS answers too.
    const refused = await request(`${url}/v1/echo`, { dispatcher: agent });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['strict-transport-security']).toBe('max-age=600');
    await refused.body.dump();
    // Plain HTTP carries no HSTS (RFC 6797: only over a secure transport).
    const plain = await request(`${edge.gateway.url}/v1/echo`, { headers: { 'x-api-key': KEY } });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    await plain.body.dump();
  });

  it('negotiates TLS 1.3 and 1.2 with AEAD suites, and refuses TLS 1.0/1.1, CBC suites and unknown CAs', async () => {
    const url = edge.gateway.tlsUrl!;
    const ca = certs!.ca;
    expect(await handshake(url, { ca })).toMatchObject({ protocol: 'TLSv1.3' });
    expect(await handshake(url, { ca, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).toMatchObject(
      {
        protocol: 'TLSv1.2',
      },
    );
    // The client is made willing (security level 0), so a refusal is the server's.
    const weak = 'DEFAULT@SECLEVEL=0';
    for (const version of ['TLSv1', 'TLSv1.1'] as const) {
      const old = await handshake(url, { ca, minVersion: version, maxVersion: version, ciphers: weak });
      expect(old.error, version).toMatch(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/);
    }
    const cbc = await handshake(url, {
      ca,
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA',
    });
    expect(cbc.error).toMatch(/HANDSHAKE_FAILURE|NO_SHARED_CIPHER/);
    expect((await handshake(url, {})).error).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('applies the same framing checks over TLS: one 400, the connection closed', async () => {
    const before = edge.upstream.seen.length;
    const { responses, closed } = await rawExchange(
      edge.gateway.tlsUrl!,
      `POST /v1/echo HTTP/1.1\r\nHost: gw\r\nx-api-key: ${KEY}\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`,
      { tls: { ca: certs!.ca, servername: 'localhost' } },
    );
    expect(responses.map((r) => r.status)).toEqual([400]);
    expect(closed).toBe(true);
    expect(edge.upstream.seen.length).toBe(before);
  });

  it('redirects or refuses plain HTTP by setting, and keeps the probes open', async () => {
    const redirect = await start({ PLAIN_HTTP: 'redirect', TLS_REDIRECT_ORIGIN: 'https://localhost:8443' });
    const moved = await request(`${redirect.gateway.url}/v1/echo?x=1`, {
      headers: { 'x-api-key': KEY, host: 'evil.example' },
    });
    expect(moved.statusCode).toBe(308);
    expect(moved.headers.location).toBe('https://localhost:8443/v1/echo?x=1');
    await moved.body.dump();
    const refuse = await start({ PLAIN_HTTP: 'refuse' });
    const before = refuse.upstream.seen.length;
    const refused = await request(`${refuse.gateway.url}/v1/echo`, { headers: { 'x-api-key': KEY } });
    expect(refused.statusCode).toBe(403);
    expect(await refused.body.json()).toMatchObject({ code: 'GW_ERR_HTTPS_REQUIRED' });
    expect(refuse.upstream.seen.length).toBe(before);
    for (const gw of [redirect, refuse]) {
      for (const probe of ['/healthz', '/readyz']) {
        const res = await request(`${gw.gateway.url}${probe}`);
        expect(res.statusCode, probe).toBe(200);
        await res.body.dump();
      }
      const https = await request(`${gw.gateway.tlsUrl!}/v1/echo`, {
        dispatcher: agent,
        headers: { 'x-api-key': KEY },
      });
      expect(https.statusCode).toBe(200);
      await https.body.dump();
    }
  });

  it('serves a rotated certificate without a restart', async () => {
    const url = edge.gateway.tlsUrl!;
    const first = (await handshake(url, { ca: certs!.ca })).serial;
    expect(first).toBeDefined();
    await certs!.rotate();
    await vi.waitFor(
      async () => {
        const now = await handshake(url, { ca: certs!.ca });
        expect(now.error).toBeUndefined();
        expect(now.serial).not.toBe(first);
      },
      { timeout: 10_000, interval: 100 },
    );
  });
});
