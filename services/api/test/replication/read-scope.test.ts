import { describe, expect, it } from 'vitest';
import { formatLsn, formatReadToken, parseLsn, parseReadToken, ReadScopes } from '../../src/replication/read-scope.js';

describe('read tokens', () => {
  it('parses and formats LSNs as 64-bit positions (what pg_wal_lsn_diff subtracts)', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0')).toBe(1n << 32n);
    expect(parseLsn('1/0')! - parseLsn('0/FFFFFFFF')!).toBe(1n);
    expect(formatLsn(parseLsn('AB/16B3748')!)).toBe('AB/16B3748');
    for (const bad of ['', '0', '0/', '/1', 'x/1', '123456789/0', '0/1/2']) expect(parseLsn(bad)).toBeUndefined();
  });

  it('reads several shards, keeps the newest LSN per shard, and treats a malformed token as invalid', () => {
    expect(parseReadToken(undefined)).toEqual(new Map());
    expect(parseReadToken('')).toEqual(new Map());
    const tokens = parseReadToken('0:0/10, 1:0/20,0:0/30');
    expect(tokens).toEqual(
      new Map([
        [0, 0x30n],
        [1, 0x20n],
      ]),
    );
    expect(parseReadToken(['0:0/10', '1:0/5'])).toEqual(
      new Map([
        [0, 0x10n],
        [1, 0x5n],
      ]),
    );
    for (const bad of ['0', '0:', 'a:0/1', '0:0/1:2', '0:zz', '-1:0/1', `0:0/1,${'x'.repeat(2000)}`]) {
      expect(parseReadToken(bad)).toBe('invalid');
    }
    expect(
      formatReadToken(
        new Map([
          [1, 0x20n],
          [0, 0x10n],
        ]),
      ),
    ).toBe('0:0/10,1:0/20');
  });

  it('records writes and reads in the scope of the async call chain only', async () => {
    const scopes = new ReadScopes();
    scopes.noteWrite(0, 1n);
    expect(scopes.current()).toBeUndefined();
    const scope = await scopes.run('0:0/5', async (s) => {
      await Promise.resolve();
      scopes.noteWrite(0, 9n);
      scopes.noteWrite(0, 3n);
      scopes.noteRead('replica');
      scopes.noteRead('primary');
      scopes.noteRead('replica');
      return s;
    });
    expect(scope.tokens).toEqual(new Map([[0, 5n]]));
    expect(scope.writes).toEqual(new Map([[0, 9n]]));
    expect(scope.from).toBe('primary');
  });
});
