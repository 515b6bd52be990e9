import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** A Lua script run by EVALSHA; loaded into Redis once, and again only if Redis forgot it. */
export interface RedisScript {
  readonly name: string;
  readonly sha: string;
  run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

/**
 * Reads `<dir>/<name>.lua` once and returns a runner that calls it by SHA1. Scripts stay as .lua
 * files in a service's `src/scripts` (tsc does not copy them); pass that folder's URL.
 */
export function loadRedisScript(name: string, dir: URL): RedisScript {
  const lua = readFileSync(new URL(`${name}.lua`, dir), 'utf8');
  const sha = createHash('sha1').update(lua).digest('hex');
  return {
    name,
    sha,
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (err) {
        // A restarted or flushed Redis has lost its script cache: load the script and try once more.
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        await redis.script('LOAD', lua);
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      }
    },
  };
}
