-- Takes every node's pending view increments for one flush, atomically: the shared hash KEYS[1]
-- (views:dirty) is renamed to this node's KEYS[2] only if it exists, so two nodes flushing at once
-- never see RENAME's "no such key" error and each increment is taken by exactly one flush.
-- Returns 1 when something was taken, 0 when nothing was pending.
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  return 1
end
return 0
