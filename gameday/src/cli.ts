#!/usr/bin/env node
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GamedayError } from './experiment/experiment-error.js';
import { listExperiments, loadExperiment } from './experiment/load-experiment.js';
import { applyOverrides, parseSetting } from './experiment/overrides.js';
import { abortOnSigint } from './faults/interrupt.js';
import { createLabExecutor } from './faults/lab-executor.js';
import { outcomeOf } from './report/judge.js';
import type { Report, RunReport } from './report/model.js';
import { writeReport } from './report/write-report.js';
import { progressLine } from './run/progress.js';
import { runOnce } from './run/run-once.js';

const EXPERIMENTS = fileURLToPath(new URL('../experiments/', import.meta.url));
const USAGE = `usage: gameday NAME [--duration S] [--rate R] [--set KEY=VALUE ...] [--compare KEY=VALUE] [--short]
       gameday --list
exit: 0 hypothesis held, 1 not held, 2 could not run`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      list: { type: 'boolean' },
      short: { type: 'boolean' },
      duration: { type: 'string' },
      rate: { type: 'string' },
      set: { type: 'string', multiple: true },
      compare: { type: 'string' },
      reports: { type: 'string', default: fileURLToPath(new URL('../../reports/', import.meta.url)) },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return (console.log(USAGE), 0);
  if (values.list === true) {
    for (const file of await listExperiments(EXPERIMENTS)) {
      const name = basename(file, extname(file));
      const { experiment } = await loadExperiment(EXPERIMENTS, name);
      console.log(`${name.padEnd(24)} ${experiment.title}${experiment.short ? '' : ' (no short form)'}`);
    }
    return 0;
  }
  const name = positionals[0];
  if (name === undefined || positionals.length > 1) throw new GamedayError('GAMEDAY_ERR_USAGE', USAGE);
  const number = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n > 0)) throw new GamedayError('GAMEDAY_ERR_USAGE', `--${flag} must be a positive number, got '${v}'`);
    return n;
  };
  const loaded = await loadExperiment(EXPERIMENTS, name);
  const experiment = applyOverrides(loaded.experiment, {
    short: values.short,
    durationS: number('duration', values.duration),
    rate: number('rate', values.rate),
  });
  const settings = (values.set ?? []).map(parseSetting);
  const compare = values.compare === undefined ? undefined : parseSetting(values.compare);
  const gateway = `http://127.0.0.1:${process.env.GATEWAY_PORT ?? '8080'}`;
  const tty = process.stdout.isTTY === true;
  const interrupt = abortOnSigint();
  const executor = createLabExecutor();
  const runs: RunReport[] = [];
  try {
    const plan = [{ label: 'baseline', settings }];
    if (compare !== undefined)
      plan.push({ label: `${compare.knob}=${String(compare.value)}`, settings: [...settings, compare] });
    for (const { label, settings: s } of plan) {
      if (interrupt.signal.aborted) break;
      console.log(`game day ${name} (${label}): ${experiment.load.durationS} s against ${gateway}`);
      let ticks = 0;
      const onTick: Parameters<typeof runOnce>[1]['onTick'] = (load) => {
        const line = progressLine(experiment, load);
        if (tty) process.stdout.write(`\r\x1b[K${line}`);
        else if (ticks++ % 5 === 0) console.log(line);
      };
      runs.push(await runOnce(experiment, { gateway, label, settings: s, executor, signal: interrupt.signal, onTick }));
      if (tty) process.stdout.write('\n');
    }
  } finally {
    interrupt.dispose();
  }
  // A compare's second run shows what the setting does; the verdict is the baseline's.
  const report: Report = { name, experiment, outcome: outcomeOf(runs.slice(0, 1)), runs };
  for (const run of runs) {
    console.log(`\n${run.label}:${run.couldNotRun ? ` could not run: ${run.couldNotRun}` : ''}`);
    for (const v of [...run.slos, ...run.invariants])
      console.log(`  ${v.verdict.toUpperCase().padEnd(7)} ${'name' in v ? `${v.name}: ` : ''}${v.summary}`);
  }
  const dir = await writeReport(values.reports, report);
  console.log(`\nhypothesis ${report.outcome.replace(/-/g, ' ')}; report: ${dir}/report.html`);
  return report.outcome === 'held' ? 0 : report.outcome === 'not-held' ? 1 : 2;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    if (err instanceof GamedayError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      console.error(`gameday: ${(err as Error).message}`);
    } else console.error(err);
    process.exitCode = 2;
  },
);
