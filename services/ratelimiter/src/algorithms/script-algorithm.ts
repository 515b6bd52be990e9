import { loadRedisScript, type Redis } from '@sdl/redis';
import type { AlgorithmName, CheckParams, RateLimitAlgorithm } from './rate-limit-algorithm.js';

// The .lua files stay in src/scripts (tsc does not copy them); dist/ and src/ are siblings.
const scriptsDir = new URL('../../src/scripts/', import.meta.url);

function toInt(name: string, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`${name} script returned ${String(value)}`);
  return n;
}

export interface ScriptAlgorithmSpec {
  readonly name: AlgorithmName;
  /** Short key prefix, e.g. `tb` -> `rl:tb:{<key>}:<windowMs>`. */
  readonly prefix: string;
  /** The script's ARGV after the common `cost, limit, windowMs`. */
  readonly extraArgs?: (params: CheckParams) => readonly number[];
}

/**
 * An algorithm that is one Lua script: loaded once, run by EVALSHA with KEYS[1] the state key and
 * ARGV `cost, limit, windowMs, ...extra`, answering `{ allowed, remaining, resetMs }`.
 */
export function createScriptAlgorithm(redis: Redis, spec: ScriptAlgorithmSpec): RateLimitAlgorithm {
  const script = loadRedisScript(spec.name, scriptsDir);
  return {
    name: spec.name,
    async check(key, params) {
      // The window (and burst) are part of the key so a changed rule starts from fresh state; the
      // hash tag keeps a key's state in one slot should Redis ever be clustered.
      const redisKey = `rl:${spec.prefix}:{${key}}:${params.windowMs}`;
      const args = [params.cost, params.limit, params.windowMs, ...(spec.extraArgs?.(params) ?? [])];
      const reply = await script.run(redis, [redisKey], args);
      if (!Array.isArray(reply) || reply.length !== 3) {
        throw new TypeError(`${spec.name} script returned an unexpected reply`);
      }
      const [allowed, remaining, resetMs] = reply.map((v) => toInt(spec.name, v)) as [number, number, number];
      return { allowed: allowed === 1, remaining: Math.max(0, remaining), resetMs: Math.max(0, resetMs) };
    },
  };
}
