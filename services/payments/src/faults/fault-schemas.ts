import { Type, type Static } from '@sinclair/typebox';

const rate = Type.Number({ minimum: 0, maximum: 1 });
const ms = Type.Integer({ minimum: 0, maximum: 600_000 });

/** The flags as the admin endpoint shows them (see FaultFlags). */
export const FaultFlagsReply = Type.Object({
  failRate: rate,
  acceptTimeoutRate: rate,
  acceptTimeoutMs: ms,
  slowRate: rate,
  slowMs: ms,
});

/** `PUT /admin/faults`: any subset of the flags; the others keep their value. */
export const FaultPatchBody = Type.Partial(FaultFlagsReply, { additionalProperties: false, minProperties: 1 });
export type FaultPatchBody = Static<typeof FaultPatchBody>;
