import type { KvRead, KvWrite } from '../load/workload.js';
import type { OracleResult } from './oracle.js';

/** At most this many stale reads are listed in the evidence. */
const SHOWN = 5;

/**
 * quorum-reads-fresh (quorum N/W/R): every read of the quorum store returned a version at least as
 * new as the newest write of that key acknowledged before the read was sent. Versions are the api's
 * hybrid-logical-clock strings (fixed width: comparing the strings compares the times). It holds
 * when W + R > N (the api's default majorities); W + R <= N can fail it.
 */
export function quorumReadsFresh(writes: readonly KvWrite[], reads: readonly KvRead[]): OracleResult {
  const byKey = new Map<string, KvWrite[]>();
  for (const w of writes) {
    const id = `${w.key}/${w.kvKey}`;
    byKey.set(id, [...(byKey.get(id) ?? []), w]);
  }
  const stale: Array<{ kvKey: string; read: string; newestAcked: string }> = [];
  for (const r of reads) {
    let newest: string | undefined;
    for (const w of byKey.get(`${r.key}/${r.kvKey}`) ?? [])
      if (w.ackedAt < r.sentAt && (newest === undefined || w.version > newest)) newest = w.version;
    if (newest !== undefined && r.version < newest)
      stale.push({ kvKey: r.kvKey, read: r.version, newestAcked: newest });
  }
  const ok = reads.length > 0 && stale.length === 0;
  return {
    name: 'quorum-reads-fresh',
    verdict: ok ? 'pass' : 'fail',
    summary:
      reads.length === 0
        ? 'no quorum store read was answered: nothing to judge'
        : `${stale.length} of ${reads.length} quorum reads older than a write acknowledged before them (${writes.length} writes acknowledged)`,
    evidence: { reads: reads.length, writes: writes.length, stale: stale.length, examples: stale.slice(0, SHOWN) },
  };
}
