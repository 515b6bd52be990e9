import { Type, type Static } from '@sinclair/typebox';
import { ROUTE_CLASSES } from '../experiment/schema.js';

/**
 * Upper bounds (ms) of `http_request_duration_seconds` (libs/metrics): a latency objective must be
 * one of them, or Prometheus could not count the requests under it from the histogram.
 */
export const LATENCY_BUCKETS_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] as const;

export const StandingSloSchema = Type.Object(
  {
    /** What experiments and alerts call it (`read`); a Prometheus label value. */
    name: Type.String({ pattern: '^[a-z][a-z0-9-]*$' }),
    class: Type.Union(ROUTE_CLASSES.map((c) => Type.Literal(c))),
    description: Type.Optional(Type.String()),
    /** Fraction of requests not failed over the window (0.999 = 99.9 %). */
    availability: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
    /** 99 % of requests answered within `p99Ms`; omitted = no latency objective. */
    latency: Type.Optional(
      Type.Object({ p99Ms: Type.Number({ exclusiveMinimum: 0 }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type StandingSlo = Static<typeof StandingSloSchema>;

export const SloFileSchema = Type.Object(
  {
    /** The error budget's window, days (the SRE workbook's 30). */
    windowDays: Type.Integer({ minimum: 1, maximum: 90 }),
    slos: Type.Array(StandingSloSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type SloFile = Static<typeof SloFileSchema>;
