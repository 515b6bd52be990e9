import type { Experiment } from './schema.js';
import { GamedayError } from './experiment-error.js';

/** What the command line changes in an experiment. */
export interface Overrides {
  /** The CI form (`short` of the file). */
  readonly short?: boolean;
  readonly durationS?: number;
  /** A constant arrival rate, requests/s. */
  readonly rate?: number;
}

/**
 * The experiment as it will run: `short` first, then `--duration`/`--rate`. When the duration
 * changes, the method's offsets scale with it (a kill at 1/3 of the run stays at 1/3) unless
 * `short.timeScale` says otherwise.
 */
export function applyOverrides(experiment: Experiment, overrides: Overrides): Experiment {
  const out = structuredClone(experiment);
  const full = experiment.load.durationS;
  let scale = 1;
  if (overrides.short === true) {
    if (experiment.short === undefined)
      throw new GamedayError('GAMEDAY_ERR_USAGE', 'this experiment has no short form');
    out.load.durationS = experiment.short.durationS;
    if (experiment.short.rate !== undefined) out.load.rate = experiment.short.rate;
    scale = experiment.short.timeScale ?? experiment.short.durationS / full;
  }
  if (overrides.durationS !== undefined) {
    scale *= overrides.durationS / out.load.durationS;
    out.load.durationS = overrides.durationS;
  }
  if (overrides.rate !== undefined) out.load.rate = { constant: overrides.rate };
  out.method = out.method.map((step) => ({ ...step, at: Math.round(step.at * scale * 1000) / 1000 }));
  return out;
}

/** A knob setting from `--set KEY=VALUE` / `--compare KEY=VALUE`. */
export interface KnobSetting {
  readonly knob: string;
  readonly value: string | number | boolean | null;
}

/** `payments.failRate=0.2` -> { knob, value: 0.2 }; numbers, true/false and null are typed. */
export function parseSetting(text: string): KnobSetting {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new GamedayError('GAMEDAY_ERR_USAGE', `expected KEY=VALUE, got '${text}'`);
  const knob = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  let value: KnobSetting['value'] = raw;
  if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (raw === 'null') value = null;
  else if (raw.trim() !== '' && Number.isFinite(Number(raw))) value = Number(raw);
  return { knob, value };
}
