import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One game day started by the agent, as the console shows it. */
export interface GameRun {
  readonly id: number;
  readonly name: string;
  readonly short: boolean;
  readonly startedAt: string;
  /** running, then the CLI's verdict (exit 0 held, 1 not held, 2 could not run) or stopped. */
  state: 'running' | 'held' | 'not-held' | 'could-not-run' | 'stopped';
  finishedAt?: string;
  /** The CLI's output, last KEPT_LINES lines (progress every 5 s, then the verdicts). */
  lines: string[];
  /** The report's directory name under reports/, once written. */
  report?: string;
}

/** Starts the game-day CLI with these arguments (the agent's tests stand their own in). */
export type Spawn = (args: readonly string[]) => ChildProcess;

const KEPT_LINES = 200;
const STATES: Record<number, GameRun['state']> = { 0: 'held', 1: 'not-held', 2: 'could-not-run' };

/** The game-day CLI itself (gameday/dist/cli.js, compiled by `./lab`), its output piped. */
export function spawnCli(cliPath: string): Spawn {
  return (args) => spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * One game day at a time (they share the one cluster), run as a child process of the agent: its
 * lines are kept for the page, its exit code is the verdict, and stop() sends SIGINT, on which the
 * CLI stops the load and runs the rollbacks before it writes the report.
 */
export class GameRuns {
  readonly #spawn: Spawn;
  #nextId = 1;
  #current: { run: GameRun; stop: () => void } | undefined;
  #last: GameRun | undefined;

  constructor(spawnCli: Spawn) {
    this.#spawn = spawnCli;
  }

  /** The running game day, else the last one (undefined before the first). */
  get latest(): GameRun | undefined {
    return this.#current?.run ?? this.#last;
  }

  get running(): boolean {
    return this.#current !== undefined;
  }

  start(name: string, short: boolean): GameRun {
    if (this.#current !== undefined) throw new Error('a game day is running');
    const run: GameRun = {
      id: this.#nextId++,
      name,
      short,
      startedAt: new Date().toISOString(),
      state: 'running',
      lines: [],
    };
    const child = this.#spawn(short ? [name, '--short'] : [name]);
    const keep = (line: string): void => {
      run.lines.push(line);
      if (run.lines.length > KEPT_LINES) run.lines.splice(0, run.lines.length - KEPT_LINES);
      const report = /report: (?:.*\/)?([^/\s]+)\/report\.html$/.exec(line);
      if (report !== null) run.report = report[1];
    };
    for (const stream of [child.stdout, child.stderr])
      if (stream !== null) createInterface({ input: stream }).on('line', keep);
    let stopped = false;
    this.#current = {
      run,
      stop: () => {
        stopped = true;
        child.kill('SIGINT');
      },
    };
    child.on('error', (err) => keep(`could not start the game day: ${err.message}`));
    child.on('close', (code) => {
      run.state = stopped ? 'stopped' : (STATES[code ?? 2] ?? 'could-not-run');
      run.finishedAt = new Date().toISOString();
      this.#last = run;
      this.#current = undefined;
    });
    return run;
  }

  /** Interrupts the running game day (its rollbacks still run); false when none runs. */
  stop(): boolean {
    if (this.#current === undefined) return false;
    this.#current.stop();
    return true;
  }
}
