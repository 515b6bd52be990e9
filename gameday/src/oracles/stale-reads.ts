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

/**
 * stale-reads-labelled (CAP, availability first): the partition was seen and answered, not
 * refused: some reads were served from the replica labelled `x-stale: true`, and no read was
 * refused with 503 API_ERR_SHARD_UNAVAILABLE (that is consistency first's answer). A run with no
 * stale answer proves nothing (the cut missed, or the cache answered everything) and fails.
 */
export function staleReadsLabelled(staleAnswers: number, reads: ClassStats): OracleResult {
  const refused = reads.failures[REFUSED] ?? 0;
  const summary =
    refused > 0
      ? `${refused} reads refused with ${REFUSED} (consistency first's answer); ${staleAnswers} labelled x-stale`
      : staleAnswers === 0
        ? `no answer of ${reads.sent} reads was labelled x-stale: the partition was not seen, nothing to judge`
        : `${staleAnswers} answers served from the replica labelled x-stale: true; none of ${reads.sent} reads refused`;
  return {
    name: 'stale-reads-labelled',
    verdict: staleAnswers > 0 && refused === 0 ? 'pass' : 'fail',
    summary,
    evidence: { staleAnswers, reads: reads.sent, readsOk: reads.ok, refused },
  };
}
