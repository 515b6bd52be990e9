import { describe, expect, it } from 'vitest';
import { endpointOf, parseShardEndpoint, ShardEndpointError, withEndpoint } from '../src/index.js';

describe('shard endpoints', () => {
  it('parses host:port endpoints, replica optional', () => {
    expect(parseShardEndpoint('{"primary":"pg-1-replica:5432","replica":null}')).toEqual({
      primary: 'pg-1-replica:5432',
      replica: null,
      epoch: '',
    });
    expect(parseShardEndpoint('{"primary":"pg-1-primary:5432","epoch":"rebuild-1764758000000"}').epoch).toBe(
      'rebuild-1764758000000',
    );
    expect(parseShardEndpoint('{"primary":"pg-1-primary:5432","replica":"pg-1-replica:5432"}').replica).toBe(
      'pg-1-replica:5432',
    );
    expect(parseShardEndpoint('{"primary":"10.0.0.7:6432"}').replica).toBeNull();
  });

  it.each([
    ['not json', 'not JSON'],
    ['null', 'not an object'],
    ['{}', 'primary as host:port'],
    ['{"primary":"postgres://lab:secret@pg:5432/lab"}', 'primary as host:port'],
    ['{"primary":"pg:5432","replica":"pg"}', 'replica as host:port'],
    ['{"primary":"pg:99999"}', 'primary as host:port'],
    ['{"primary":"pg:5432","epoch":7}', 'epoch must be'],
  ])('refuses %s with a code', (raw, message) => {
    const err = (() => {
      try {
        parseShardEndpoint(raw);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ShardEndpointError);
    expect(err).toMatchObject({ code: 'DB_ERR_INVALID_SHARD_ENDPOINT' });
    expect((err as Error).message).toContain(message);
  });

  it('swaps host and port only, keeping credentials, database and options', () => {
    const url = 'postgres://lab:s%40cret@pg-1-primary:5432/lab?sslmode=disable';
    expect(withEndpoint(url, 'pg-1-replica:5433')).toBe(
      'postgres://lab:s%40cret@pg-1-replica:5433/lab?sslmode=disable',
    );
    expect(endpointOf(url)).toBe('pg-1-primary:5432');
    expect(endpointOf('postgres://lab:lab@pg-0-primary/lab')).toBe('pg-0-primary:5432');
  });
});
