import type { ClusterStatus } from '../sources/cluster-status.js';
import { samples } from './node-health.js';

/** What each mode means, in a few words (the page shows the words, not a colour). */
const MODE_WORDS: Readonly<Record<string, string>> = {
  'write-through': 'writes update Redis and Postgres',
  'write-around': 'writes drop the entry; a read fills it',
  'write-back': 'writes go to Redis, flushed to Postgres later',
  off: 'no cache',
};

export interface CacheEntityView {
  readonly entity: string;
  /** Hit ratio over 1 m (reads through the cache), when the entity had reads. */
  readonly hitRatio?: number;
  /** As the api nodes report it (`api_cache_mode_info`); `mixed` when they differ. */
  readonly mode?: string;
  readonly modeLabel?: string;
}

export interface WriteBackView {
  readonly entity: string;
  /** Entries not yet in Postgres: the shared dirty hash plus every node's flush in progress. */
  readonly pending: number;
  readonly waiting: number;
  readonly perNode: readonly { readonly node: string; readonly flushing: number }[];
}

export interface CacheView {
  readonly entities: readonly CacheEntityView[];
  readonly fills: readonly { readonly outcome: string; readonly perSecond: number }[];
  readonly writeBack: readonly WriteBackView[];
}

function modeOf(modes: readonly string[]): Pick<CacheEntityView, 'mode' | 'modeLabel'> {
  const [only] = modes;
  if (only === undefined) return {};
  if (modes.length > 1) return { mode: 'mixed', modeLabel: `nodes differ: ${modes.join(', ')}` };
  const words = MODE_WORDS[only];
  return { mode: only, modeLabel: words === undefined ? only : `${only} (${words})` };
}

/** Per entity: hit ratio and cache mode; the write-back backlog; fill-lease outcomes. */
export function cacheView(status: ClusterStatus): CacheView {
  const ratios = new Map(samples(status, 'cacheHitRatio').map((s) => [s.labels.entity ?? '', s.value]));
  const modes = new Map<string, string[]>();
  for (const s of samples(status, 'cacheMode')) {
    const entity = s.labels.entity ?? '';
    if (s.value >= 1 && s.labels.mode !== undefined) modes.set(entity, [...(modes.get(entity) ?? []), s.labels.mode]);
  }
  const names = [...new Set([...ratios.keys(), ...modes.keys()])].sort();
  const entities = names.map((entity) => {
    const hitRatio = ratios.get(entity);
    return {
      entity,
      ...(hitRatio === undefined ? {} : { hitRatio }),
      ...modeOf([...(modes.get(entity) ?? [])].sort()),
    };
  });
  const shared = new Map(samples(status, 'writeBackShared').map((s) => [s.labels.entity ?? '', s.value]));
  const flushing = samples(status, 'writeBackNode');
  const backlogNames = [...new Set([...shared.keys(), ...flushing.map((s) => s.labels.entity ?? '')])].sort();
  const writeBack = backlogNames.map((entity) => {
    const perNode = flushing
      .filter((s) => (s.labels.entity ?? '') === entity)
      .map((s) => ({ node: s.labels.node ?? '?', flushing: s.value }))
      .sort((a, b) => a.node.localeCompare(b.node));
    const waiting = shared.get(entity) ?? 0;
    return { entity, pending: waiting + perNode.reduce((sum, n) => sum + n.flushing, 0), waiting, perNode };
  });
  return {
    entities,
    fills: samples(status, 'fillLease').map((s) => ({ outcome: s.labels.outcome ?? '', perSecond: s.value })),
    writeBack,
  };
}
