import { BaseConfigSchema, LoadSheddingConfigSchema } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';

const Rate = (description: string) => Type.Number({ minimum: 0, maximum: 1, default: 0, description });

export const PaymentsConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  ...LoadSheddingConfigSchema.properties,
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 3002 }),
  /** The admin listener (fault flags); never published, never behind the gateway. */
  adminPort: Type.Integer({ minimum: 0, maximum: 65535, default: 3012 }),
  /** The ledger file (JSON lines, fsync'd per answer); empty: in memory, lost on restart. */
  ledgerPath: Type.String({ default: '' }),
  failRate: Rate('share of charge attempts failing with 503 before anything is charged'),
  acceptTimeoutRate: Rate('share of charge attempts that charge, then answer 504 after ACCEPT_TIMEOUT_MS'),
  acceptTimeoutMs: Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000 }),
  slowRate: Type.Number({ minimum: 0, maximum: 1, default: 1, description: 'share of attempts slowed by SLOW_MS' }),
  slowMs: Type.Integer({ minimum: 0, maximum: 600_000, default: 0 }),
});
export type PaymentsConfig = Static<typeof PaymentsConfigSchema>;
