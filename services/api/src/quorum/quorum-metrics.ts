import { Counter, type Registry } from '@sdl/metrics';

/** The quorum store's counters (one set per registry). */
export interface QuorumMetrics {
  /** `api_quorum_operations_total{op=read|write, result=ok|not_found|unavailable}`. */
  readonly operations: Counter<'op' | 'result'>;
  /** Replies older than the newest version another replica gave in the same read. */
  readonly staleReplies: Counter;
  /** Reads that returned a version some replica (answering later) knew to be superseded. */
  readonly staleReads: Counter;
  /** `api_quorum_read_repairs_total{result=ok|failed}`: newest version pushed to a replica behind. */
  readonly repairs: Counter<'result'>;
}

export function createQuorumMetrics(registry: Registry): QuorumMetrics {
  return {
    operations: new Counter({
      name: 'api_quorum_operations_total',
      help: 'Quorum key-value reads and writes by outcome',
      labelNames: ['op', 'result'] as const,
      registers: [registry],
    }),
    staleReplies: new Counter({
      name: 'api_quorum_stale_replies_total',
      help: 'Replica replies older than the newest version seen in the same read',
      registers: [registry],
    }),
    staleReads: new Counter({
      name: 'api_quorum_stale_reads_total',
      help: 'Reads answered with a version a later replica reply showed to be superseded',
      registers: [registry],
    }),
    repairs: new Counter({
      name: 'api_quorum_read_repairs_total',
      help: 'Read repairs: the newest version written back to a replica that answered an older one',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}
