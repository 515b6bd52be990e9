import { createLogger } from '@sdl/logging';
import { describe, expect, it } from 'vitest';
import { createEntryParser, parseStaticUpstreams } from '../../src/upstreams/host-spec.js';

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
