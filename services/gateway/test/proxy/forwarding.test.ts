import { describe, expect, it } from 'vitest';
import { downstreamResponseHeaders, upstreamRequestHeaders } from '../../src/proxy/forward-headers.js';
import { toUpstreamError } from '../../src/proxy/upstream-proxy.js';

describe('forwarded headers', () => {
  const ctx = { requestId: 'req-1', clientId: 'demo', clientIp: '10.0.0.9', protocol: 'http' };

  it('drops hop-by-hop headers, credentials and spoofable identity, and adds forwarding headers', () => {
    const out = upstreamRequestHeaders(
      {
        host: 'gw.example',
        connection: 'keep-alive, x-hop',
        'keep-alive': 'timeout=5',
        'x-hop': 'per-connection',
        'transfer-encoding': 'chunked',
        'content-length': '12',
        'x-api-key': 'secret',
        authorization: 'Bearer secret',
        'x-client-id': 'admin',
        'x-tenant-id': 'admin',
        'x-gateway-secret': 'guessed',
        'x-request-id': 'spoofed',
        'x-forwarded-for': '1.2.3.4',
        'content-type': 'application/json',
        'x-custom': 'kept',
      },
      ctx,
    );
    expect(out).toEqual({
      'content-type': 'application/json',
      'x-custom': 'kept',
      'x-forwarded-for': '10.0.0.9',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'gw.example',
      'x-request-id': 'req-1',
      'x-client-id': 'demo',
      'x-tenant-id': 'demo',
    });
  });

  it('sends the shared secret to the api when one is configured', () => {
    const out = upstreamRequestHeaders({ 'x-gateway-secret': 'guessed' }, { ...ctx, gatewaySecret: 's3cret' });
    expect(out['x-gateway-secret']).toBe('s3cret');
    expect(out['x-tenant-id']).toBe('demo');
  });

  it('starts x-forwarded-for with the client ip', () => {
    expect(upstreamRequestHeaders({}, ctx)['x-forwarded-for']).toBe('10.0.0.9');
  });

  it('keeps end-to-end response headers only', () => {
    const out = downstreamResponseHeaders({
      'content-type': 'text/plain',
      'content-length': '5',
      'transfer-encoding': 'chunked',
      connection: 'close',
      'set-cookie': ['a=1', 'b=2'],
      'x-upstream': 'api-1',
      'x-request-id': 'other',
    });
    expect(out).toEqual({
      'content-type': 'text/plain',
      'content-length': '5',
      'set-cookie': ['a=1', 'b=2'],
      'x-upstream': 'api-1',
    });
  });
});

describe('upstream errors', () => {
  it('maps timeouts to 504 and every other transport failure to 502', () => {
    expect(toUpstreamError({ code: 'UND_ERR_HEADERS_TIMEOUT' }).code).toBe('GW_ERR_UPSTREAM_TIMEOUT');
    expect(toUpstreamError({ code: 'UND_ERR_BODY_TIMEOUT' }).statusCode).toBe(504);
    expect(toUpstreamError({ code: 'ECONNREFUSED' }).code).toBe('GW_ERR_UPSTREAM_UNAVAILABLE');
    expect(toUpstreamError({ code: 'UND_ERR_CONNECT_TIMEOUT' }).statusCode).toBe(502);
    expect(toUpstreamError(new Error('boom')).retriable).toBe(true);
  });
});
