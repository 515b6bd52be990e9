export { createRedisClient, closeRedis, type RedisClientOptions } from './create-redis-client.js';
export { loadRedisScript, type RedisScript } from './redis-script.js';
export { PERSISTENCE_SETTINGS, persistenceModeOf, readPersistenceMode, readRedisConfig } from './redis-config.js';
export type { Redis } from 'ioredis';
