/** Runs at most `size` tasks at once; the rest queue in submission order. */
export interface WorkPool {
  run<T>(task: () => Promise<T>): Promise<T>;
}

/**
 * The bound on charges in progress across all shards together: a tick submits every shard's work
 * here, so a backlog on one shard cannot open more connections or provider calls than `size`.
 */
export function createWorkPool(size: number): WorkPool {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    const next = waiting.shift();
    if (next === undefined) active -= 1;
    else next();
  };
  return {
    async run(task) {
      if (active < size) active += 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
