import { ConfigError } from '@sdl/config';
import { describe, expect, it } from 'vitest';
import { createApiKeys, presentedKey } from '../src/api-keys.js';
import { downstreamResponseHeaders, upstreamRequestHeaders } from '../src/forward-headers.js';
import { routeTemplate } from '../src/rate-limit-gate.js';
import { toUpstreamError } from '../src/upstream-proxy.js';

describe('api keys', () => {
  const keys = createApiKeys(['demo:lab-demo-key', 'limited:lab:limited:key']);

  it('maps a secret to its client name, and nothing else to anything', () => {
    expect(keys.authenticate('lab-demo-key')).toBe('demo');
    expect(keys.authenticate('lab:limited:key')).toBe('limited');
    expect(keys.authenticate('lab-demo-ke')).toBeUndefined();
    expect(keys.authenticate('demo')).toBeUndefined();
    expect(keys.authenticate('')).toBeUndefined();
    expect(keys.authenticate(undefined)).toBeUndefined();
    expect(keys.planOf('demo')).toBeUndefined();
  });

  it('reads a plan from name@plan:secret', () => {
    const keys = createApiKeys(['trial@free:k-1', 'corp@enterprise:k:2']);
    expect(keys.authenticate('k-1')).toBe('trial');
    expect(keys.planOf('trial')).toBe('free');
    expect(keys.authenticate('k:2')).toBe('corp');
    expect(keys.planOf('corp')).toBe('enterprise');
  });

  it('rejects duplicate client names', () => {
    expect(() => createApiKeys(['a:x', 'a:y'])).toThrow(ConfigError);
  });

  it('reads x-api-key first, then a Bearer token', () => {
    expect(presentedKey({ 'x-api-key': 'k1', authorization: 'Bearer k2' })).toBe('k1');
    expect(presentedKey({ authorization: 'Bearer k2' })).toBe('k2');
    expect(presentedKey({ authorization: 'bearer  k2 ' })).toBe('k2');
    expect(presentedKey({ authorization: 'Basic abc' })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });
});

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
      'x-forwarded-for': '1.2.3.4, 10.0.0.9',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'gw.example',
      'x-request-id': 'req-1',
      'x-client-id': 'demo',
    });
  });

  it('starts x-forwarded-for with the client ip when there is none', () => {
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

describe('route template and upstream errors', () => {
  it('keeps the method and the first two path segments', () => {
    expect(routeTemplate('POST', '/v1/accounts/42/posts?x=1')).toBe('POST /v1/accounts');
    expect(routeTemplate('GET', '/v1/posts')).toBe('GET /v1/posts');
    expect(routeTemplate('GET', '/v1/')).toBe('GET /v1');
    expect(routeTemplate('GET', `/v1/${'x'.repeat(400)}`)).toHaveLength(256);
  });

  it('maps timeouts to 504 and every other transport failure to 502', () => {
    expect(toUpstreamError({ code: 'UND_ERR_HEADERS_TIMEOUT' }).code).toBe('GW_ERR_UPSTREAM_TIMEOUT');
    expect(toUpstreamError({ code: 'UND_ERR_BODY_TIMEOUT' }).statusCode).toBe(504);
    expect(toUpstreamError({ code: 'ECONNREFUSED' }).code).toBe('GW_ERR_UPSTREAM_UNAVAILABLE');
    expect(toUpstreamError({ code: 'UND_ERR_CONNECT_TIMEOUT' }).statusCode).toBe(502);
    expect(toUpstreamError(new Error('boom')).retriable).toBe(true);
  });
});
