import { BaseConfigSchema } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';

export const PaymentsConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 3002 }),
  /** Chaos knob: share of charge attempts (0..1) that fail with 503 before anything is charged. */
  failRate: Type.Number({ minimum: 0, maximum: 1, default: 0 }),
  /** Chaos knob: processing time added to every charge attempt, ms, while its key is in flight. */
  latencyMs: Type.Integer({ minimum: 0, maximum: 600_000, default: 0 }),
});
export type PaymentsConfig = Static<typeof PaymentsConfigSchema>;
