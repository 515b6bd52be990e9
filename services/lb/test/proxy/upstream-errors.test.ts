import { describe, expect, it } from 'vitest';
import { classifyFailure, isIdempotent, isRetriable } from '../../src/proxy/upstream-errors.js';

describe('failure classification and retries', () => {
  const err = (code: string) => Object.assign(new Error(code), { code });

  it('classifies undici and socket errors', () => {
    expect(classifyFailure(err('ECONNREFUSED'))).toBe('connect');
    expect(classifyFailure(err('EHOSTUNREACH'))).toBe('connect');
    expect(classifyFailure(err('UND_ERR_CONNECT_TIMEOUT'))).toBe('connect');
    expect(classifyFailure(new AggregateError([err('ECONNREFUSED')]))).toBe('connect');
    expect(classifyFailure(err('UND_ERR_HEADERS_TIMEOUT'))).toBe('timeout');
    expect(classifyFailure(err('UND_ERR_SOCKET'))).toBe('reset');
    expect(classifyFailure(err('UND_ERR_ABORTED'))).toBe('aborted');
    expect(classifyFailure(new Error('?'))).toBe('other');
  });

  it('knows an aborted try by its code, never by its name', () => {
    expect(classifyFailure(err('UND_ERR_ABORT'))).toBe('aborted');
    expect(classifyFailure(err('ABORT_ERR'))).toBe('aborted');
    expect(classifyFailure(new DOMException('gone', 'AbortError'))).toBe('aborted');
    expect(classifyFailure(AbortSignal.abort().reason)).toBe('aborted');
    expect(classifyFailure(Object.assign(new Error('x'), { name: 'AbortError' }))).toBe('other');
  });

  it('retries any request when nothing was sent, idempotent ones after timeouts and resets', () => {
    const keyed = { 'idempotency-key': 'k1' };
    expect(isIdempotent('GET', {})).toBe(true);
    expect(isIdempotent('DELETE', {})).toBe(true);
    expect(isIdempotent('POST', {})).toBe(false);
    expect(isIdempotent('PATCH', keyed)).toBe(false); // only a keyed POST is made idempotent by the api
    expect(isIdempotent('POST', keyed)).toBe(true);
    expect(isRetriable('connect', false, true)).toBe(true);
    expect(isRetriable('timeout', false, true)).toBe(false);
    expect(isRetriable('reset', false, true)).toBe(false);
    expect(isRetriable('timeout', true, true)).toBe(true);
    expect(isRetriable('reset', true, true)).toBe(true);
    expect(isRetriable('timeout', true, false)).toBe(false); // its streamed body is gone
    expect(isRetriable('connect', true, false)).toBe(false);
    expect(isRetriable('other', true, true)).toBe(false);
  });
});
