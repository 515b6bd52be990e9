import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface CpuLoad {
  /** Ends every burner and waits for it to exit. */
  stop(): Promise<void>;
}

export interface CpuLoadOptions {
  /** Busy processes to start (default: one per CPU plus one, so every core stays saturated). */
  readonly processes?: number;
  /** Each burner exits on its own after this long, even if stop() is never called, ms (default 60000). */
  readonly maxMs?: number;
}

/**
 * Loads the machine the way a busy shared CI box is loaded: CPU-bound processes at normal priority,
 * competing with everything else (containers included) for every core. For tests whose mechanism
 * must hold on a busy machine (elections, locks); bounded in time by `maxMs`.
 */
export function loadCpu(options: CpuLoadOptions = {}): CpuLoad {
  const count = options.processes ?? availableParallelism() + 1;
  const maxMs = options.maxMs ?? 60_000;
  const script = `const end = Date.now() + ${maxMs}; while (Date.now() < end) { for (let i = 0; i < 1e6; i++); }`;
  const burners: ChildProcess[] = Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', script], { stdio: 'ignore' }),
  );
  return {
    async stop() {
      await Promise.all(
        burners.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
