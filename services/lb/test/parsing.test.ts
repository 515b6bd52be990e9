import { createLogger } from '@sdl/logging';
import { describe, expect, it } from 'vitest';
import { createEntryParser, parseStaticUpstreams } from '../src/host-spec.js';
import { classifyFailure, isRetriable } from '../src/upstream-errors.js';

describe('host specs', () => {
  it('parses STATIC_UPSTREAMS entries', () => {
    expect(parseStaticUpstreams(['api-1=http://api-1:3000', 'api-2=http://api-2:3000/'])).toEqual([
      { id: 'api-1', url: 'http://api-1:3000', weight: 1 },
      { id: 'api-2', url: 'http://api-2:3000', weight: 1 },
    ]);
  });

  it('keeps valid etcd entries and skips bad ones with a warning', () => {
    const lines: string[] = [];
    const logger = createLogger({
      name: 'lb',
      level: 'warn',
      destination: { write: (l: string) => void lines.push(l) },
    });
    const parse = createEntryParser(logger);
    const entries = new Map([
      ['/p/api-1', JSON.stringify({ id: 'api-1', url: 'http://api-1:3000', weight: 2 })],
      ['/p/api-2', JSON.stringify({ id: 'api-2', url: 'http://api-2:3000' })],
      ['/p/bad-json', '{nope'],
      ['/p/bad-url', JSON.stringify({ id: 'x', url: 'ftp://x' })],
      ['/p/no-id', JSON.stringify({ url: 'http://y:1' })],
      ['/p/dup', JSON.stringify({ id: 'api-1', url: 'http://other:1' })],
    ]);
    expect(parse(entries)).toEqual([
      { id: 'api-1', url: 'http://api-1:3000', weight: 2 },
      { id: 'api-2', url: 'http://api-2:3000', weight: 1 },
    ]);
    expect(lines).toHaveLength(4);
    parse(entries);
    expect(lines).toHaveLength(4); // the same bad values are not reported again
  });
});

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

  it('retries any method when nothing was sent, idempotent ones after timeouts and resets', () => {
    expect(isRetriable('connect', 'POST', false)).toBe(true);
    expect(isRetriable('timeout', 'POST', false)).toBe(false);
    expect(isRetriable('reset', 'PATCH', false)).toBe(false);
    expect(isRetriable('timeout', 'GET', false)).toBe(true);
    expect(isRetriable('reset', 'DELETE', false)).toBe(true);
    expect(isRetriable('timeout', 'PUT', true)).toBe(false); // its streamed body is gone
    expect(isRetriable('other', 'GET', false)).toBe(false);
  });
});
