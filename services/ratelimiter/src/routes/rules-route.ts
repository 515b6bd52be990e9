import type { FastifyInstance } from 'fastify';
import type { RuleSet } from '../rules/rule-set.js';
import type { FailModeSwitch } from './admin-route.js';

/**
 * `GET /admin/rules`: the rules in force (the rules file as last applied, or the LIMITS rules), in
 * evaluation order, each with the fail mode it would answer with now. Read-only: rules change by
 * editing the file (hot-reloaded). The console's rate-limiter panel reads it.
 */
export async function rulesRoute(
  app: FastifyInstance,
  opts: { rules: () => RuleSet; failMode: FailModeSwitch; source: 'file' | 'limits' },
): Promise<void> {
  app.get('/admin/rules', async () => {
    const fallback = opts.failMode.current();
    return {
      source: opts.source,
      failMode: fallback,
      rules: opts.rules().rules.map((r) => ({
        name: r.name,
        algorithm: r.algorithm,
        limit: r.limit,
        windowMs: r.windowMs,
        ...(r.algorithm === 'token-bucket' || r.algorithm === 'gcra' ? { burst: r.burst } : {}),
        cost: r.cost,
        shadow: r.shadow,
        failMode: r.failMode ?? fallback,
        failModeFrom: r.failMode === undefined ? 'default' : 'rule',
        key: r.keyOn,
        match: r.match,
      })),
    };
  });
}
