import { describe, expect, it } from 'vitest';
import { syncReplicationMode } from '../../src/replication/replica-monitor.js';

// api_shard_sync_replication's label: what the primary's commits wait for, from its two settings.
describe('syncReplicationMode', () => {
  it('is off without a standby named, whatever synchronous_commit says', () => {
    expect(syncReplicationMode('', 'on')).toBe('off');
    expect(syncReplicationMode('  ', 'remote_apply')).toBe('off');
  });

  it('is synchronous_commit with a standby named', () => {
    expect(syncReplicationMode('pg_0_replica', 'remote_write')).toBe('remote_write');
    expect(syncReplicationMode('pg_0_replica', 'on')).toBe('on');
    expect(syncReplicationMode('FIRST 1 (pg_0_replica)', 'remote_apply')).toBe('remote_apply');
  });

  it('is off when commits wait for the local disk only (local, off), standby named or not', () => {
    expect(syncReplicationMode('pg_0_replica', 'local')).toBe('off');
    expect(syncReplicationMode('pg_0_replica', 'off')).toBe('off');
  });
});
