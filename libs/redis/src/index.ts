export { createRedisClient, closeRedis, type RedisClientOptions } from './create-redis-client.js';
export { loadRedisScript, type RedisScript } from './redis-script.js';
export type { Redis } from 'ioredis';
