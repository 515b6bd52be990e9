import { Type, type Static } from '@sinclair/typebox';

/**
 * What a service does when a dependency it consults cannot answer: let the request through
 * (`open`) or refuse it (`closed`). One schema for every setting that chooses it.
 */
export const FailModeSchema = Type.Union([Type.Literal('open'), Type.Literal('closed')]);
export type FailMode = Static<typeof FailModeSchema>;
