import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Rollback, Step } from '../src/experiment/schema.js';
import { abortOnSigint } from '../src/faults/interrupt.js';
import { runTimeline, type Executor } from '../src/faults/timeline.js';

/** A fake executor: records what ran and when (fake time), fails the steps it is told to. */
function fakeExecutor(failing: (s: Rollback) => boolean = () => false) {
  const ran: Array<{ what: string; atMs: number }> = [];
  const executor: Executor = {
    async run(step) {
      ran.push({
        what: step.action === 'knob' ? `knob ${step.knob}` : `${step.action} ${step.service}`,
        atMs: Date.now(),
      });
      if (failing(step)) throw new Error(`cannot ${step.action}`);
    },
  };
  return { ran, executor };
}

const method: Step[] = [
  { at: 30, action: 'start', service: 'api-2' },
  { at: 15, action: 'kill', service: 'api-2' },
  { at: 20, action: 'knob', knob: 'lb.strategy', value: 'maglev' },
];
const rollbacks: Rollback[] = [
  { action: 'start', service: 'api-2' },
  { action: 'knob', knob: 'lb.strategy', value: null },
];

describe('the fault timeline', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires each step at its offset, in time order, then every rollback', async () => {
    const { ran, executor } = fakeExecutor();
    const done = runTimeline({ method, rollbacks, executor, now: () => Date.now() });
    await vi.advanceTimersByTimeAsync(40_000);
    const result = await done;
    expect(ran).toEqual([
      { what: 'kill api-2', atMs: 15_000 },
      { what: 'knob lb.strategy', atMs: 20_000 },
      { what: 'start api-2', atMs: 30_000 },
      { what: 'start api-2', atMs: 30_000 },
      { what: 'knob lb.strategy', atMs: 30_000 },
    ]);
    expect(result.records.map((r) => [r.phase, r.dueMs, r.firedMs])).toEqual([
      ['method', 15_000, 15_000],
      ['method', 20_000, 20_000],
      ['method', 30_000, 30_000],
      ['rollback', 30_000, 30_000],
      ['rollback', 30_000, 30_000],
    ]);
    expect(result.aborted).toBe(false);
  });

  it('waits for the load before the rollbacks', async () => {
    const { ran, executor } = fakeExecutor();
    let endLoad!: () => void;
    const until = new Promise<void>((resolve) => (endLoad = resolve));
    const done = runTimeline({ method: method.slice(1, 2), rollbacks, executor, until, now: () => Date.now() });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ran.map((r) => r.what)).toEqual(['kill api-2']);
    endLoad();
    await done;
    expect(ran.map((r) => r.what)).toEqual(['kill api-2', 'start api-2', 'knob lb.strategy']);
  });

  it('a failed step is recorded and the rollbacks still run, each even if one fails', async () => {
    const { ran, executor } = fakeExecutor((s) => s.action === 'kill' || (s.action === 'start' && ran.length > 3));
    const done = runTimeline({ method, rollbacks, executor, now: () => Date.now() });
    await vi.advanceTimersByTimeAsync(40_000);
    const result = await done;
    expect(result.records.filter((r) => r.error !== undefined).map((r) => [r.phase, r.error])).toEqual([
      ['method', 'cannot kill'],
      ['rollback', 'cannot start'],
    ]);
    expect(ran.slice(-2).map((r) => r.what)).toEqual(['start api-2', 'knob lb.strategy']);
  });

  it('SIGINT stops the method and runs the rollbacks', async () => {
    const { ran, executor } = fakeExecutor();
    const interrupt = abortOnSigint();
    try {
      const done = runTimeline({ method, rollbacks, executor, signal: interrupt.signal, now: () => Date.now() });
      await vi.advanceTimersByTimeAsync(16_000);
      process.emit('SIGINT');
      const result = await done;
      expect(result.aborted).toBe(true);
      expect(ran.map((r) => r.what)).toEqual(['kill api-2', 'start api-2', 'knob lb.strategy']);
      expect(result.records.map((r) => r.phase)).toEqual(['method', 'rollback', 'rollback']);
    } finally {
      interrupt.dispose();
    }
  });
});
