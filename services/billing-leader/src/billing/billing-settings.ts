import { createRunTimeSettings, type RunTimeSettings } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';

/** The charging settings a lab run may switch at run time (PUT /admin/billing); env gives the start values. */
export const BillingSettingsSchema = Type.Object(
  {
    /** Length of a billing period in seconds; 0: the plan's months. */
    periodSeconds: Type.Integer({ minimum: 0, maximum: 31_622_400 }),
    /** `off`: the fence is checked but a stale result is ignored (writes land and are counted). */
    fencing: Type.Union([Type.Literal('on'), Type.Literal('off')]),
    /** A pending charge is retried by a tick only once nobody touched it this long. */
    pendingRetryAfterMs: Type.Integer({ minimum: 0, maximum: 3_600_000 }),
    /** Lab fault: each fenced write waits this long, deaf to a demotion, after the leader's last check. */
    writeStallMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
  },
  { additionalProperties: false },
);
export type BillingSettings = Static<typeof BillingSettingsSchema>;

/** The settings in force, read by the work at every use (so a switch applies from the next charge on). */
export type BillingSettingsStore = RunTimeSettings<BillingSettings>;

export const createBillingSettings = (initial: BillingSettings): BillingSettingsStore => createRunTimeSettings(initial);
