-- Test script: INCRBY KEYS[1] ARGV[1], returning the new value.
return redis.call('INCRBY', KEYS[1], ARGV[1])
