import { FailModeSchema, type FailMode } from '@sdl/config';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

const FailModeBody = Type.Object(
  {
    /** `open` admits, `closed` denies while Redis fails; null = back to FAIL_MODE. */
    failMode: Type.Union([FailModeSchema, Type.Null()]),
  },
  { additionalProperties: false },
);
type FailModeBody = Static<typeof FailModeBody>;

/** The fail mode of rules without their own, switchable at run time (FAIL_MODE is the start value). */
export interface FailModeSwitch {
  readonly configured: FailMode;
  current(): FailMode;
  set(mode: FailMode | null): void;
}

export function createFailModeSwitch(configured: FailMode): FailModeSwitch {
  let mode = configured;
  return {
    configured,
    current: () => mode,
    set: (next) => void (mode = next ?? configured),
  };
}

/**
 * `GET /admin/fail-mode` and `PUT /admin/fail-mode {"failMode":"open"|"closed"|null}`: the game
 * days' `limiter.failMode` knob (fail-open vs fail-closed while the limiter's Redis is down). The
 * ratelimiter's port is reached only on the compose network (the gateway and the lab's tools).
 */
export async function adminRoute(app: FastifyInstance, opts: { failMode: FailModeSwitch }): Promise<void> {
  const state = () => ({ failMode: opts.failMode.current(), configured: opts.failMode.configured });
  app.get('/admin/fail-mode', async () => state());
  app.put<{ Body: FailModeBody }>('/admin/fail-mode', { schema: { body: FailModeBody } }, async (req) => {
    opts.failMode.set(req.body.failMode);
    req.log.warn({ failMode: opts.failMode.current() }, 'fail mode switched at run time');
    return state();
  });
}
