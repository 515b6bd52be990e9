import { describe, expect, it } from 'vitest';
import { appendForwardedFor, copyEndToEndHeaders } from '../src/index.js';

describe('copyEndToEndHeaders', () => {
  it('drops hop-by-hop headers, the ones Connection lists, and the caller’s own list', () => {
    const out = copyEndToEndHeaders(
      {
        'Content-Type': 'application/json',
        connection: 'keep-alive, X-Trace-Hop',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'x-trace-hop': '1',
        'x-api-key': 'secret',
        accept: ['a', 'b'],
        missing: undefined,
      },
      new Set(['x-api-key']),
    );
    expect(out).toEqual({ 'content-type': 'application/json', accept: ['a', 'b'] });
  });
});

describe('appendForwardedFor', () => {
  it('starts or extends the trail', () => {
    expect(appendForwardedFor(undefined, '10.0.0.1')).toBe('10.0.0.1');
    expect(appendForwardedFor('', '10.0.0.1')).toBe('10.0.0.1');
    expect(appendForwardedFor('1.1.1.1', '10.0.0.1')).toBe('1.1.1.1, 10.0.0.1');
    expect(appendForwardedFor(['1.1.1.1', '2.2.2.2'], '10.0.0.1')).toBe('1.1.1.1, 2.2.2.2, 10.0.0.1');
  });
});
