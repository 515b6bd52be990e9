import type { ClassStats } from '../load/stats.js';
import type { OracleResult } from './oracle.js';

/** The api's answer to a read it cannot prove fresh while the shard's primary is away (consistency first). */
export const REFUSED = '503 API_ERR_SHARD_UNAVAILABLE';

/**
 * no-stale-reads (CAP, consistency first): no answer of the run was labelled `x-stale: true`, i.e.
 * no node served a replica's copy it could not prove fresh, and the partition was seen: some read
 * was refused (503 API_ERR_SHARD_UNAVAILABLE), the price of the choice. A run where nothing was
 * refused proves nothing (the cut missed, or every read was a cache hit) and fails. With
 * PARTITION_MODE=availability the same fault gives stale answers and this oracle fails.
 */
export function noStaleReads(staleAnswers: number, reads: ClassStats): OracleResult {
  const refused = reads.failures[REFUSED] ?? 0;
  const summary =
    staleAnswers > 0
      ? `${staleAnswers} answers served a copy not proven fresh (x-stale: true); ${refused} reads refused with ${REFUSED}`
      : refused === 0
        ? `no read of ${reads.sent} was refused with ${REFUSED}: the partition was not seen, nothing to judge`
        : `no answer labelled x-stale of ${reads.sent} reads; ${refused} refused with ${REFUSED} instead`;
  return {
    name: 'no-stale-reads',
    verdict: staleAnswers === 0 && refused > 0 ? 'pass' : 'fail',
    summary,
    evidence: { staleAnswers, reads: reads.sent, readsOk: reads.ok, refused },
  };
}
