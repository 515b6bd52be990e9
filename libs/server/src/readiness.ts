/** A named readiness probe: resolves when the dependency answers, throws when it does not. */
export type ReadinessCheck = (signal: AbortSignal) => Promise<unknown>;

export interface Readiness {
  add(name: string, check: ReadinessCheck): void;
  /** Runs every check with a timeout; `ok` only when all pass. */
  run(timeoutMs: number): Promise<{ ok: boolean; checks: Record<string, string> }>;
}

export function createReadiness(): Readiness {
  const checks = new Map<string, ReadinessCheck>();
  return {
    add(name, check) {
      checks.set(name, check);
    },
    async run(timeoutMs) {
      const results: Record<string, string> = {};
      let ok = true;
      await Promise.all(
        [...checks].map(async ([name, check]) => {
          const signal = AbortSignal.timeout(timeoutMs);
          try {
            await Promise.race([
              check(signal),
              new Promise((_, reject) => {
                signal.addEventListener('abort', () => reject(new Error(`timed out after ${timeoutMs} ms`)));
              }),
            ]);
            results[name] = 'ok';
          } catch (err) {
            ok = false;
            results[name] = err instanceof Error ? err.message : String(err);
          }
        }),
      );
      return { ok, checks: results };
    },
  };
}
