import { describe, expect, it } from 'vitest';
import { routeTemplate } from '../../src/rate-limit/rate-limit-gate.js';

describe('route template', () => {
  it('keeps the method and the first two path segments', () => {
    expect(routeTemplate('POST', '/v1/accounts/42/posts?x=1')).toBe('POST /v1/accounts');
    expect(routeTemplate('GET', '/v1/posts')).toBe('GET /v1/posts');
    expect(routeTemplate('GET', '/v1/')).toBe('GET /v1');
    expect(routeTemplate('GET', `/v1/${'x'.repeat(400)}`)).toHaveLength(256);
  });
});
