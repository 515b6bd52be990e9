export { chaos, CHAOS_VERBS, type ChaosVerb } from './chaos.js';
export {
  API_NODES,
  containerOf,
  docker,
  execIn,
  getAllFrom,
  getInside,
  inside,
  inspect,
  isRunning,
  onShard,
  project,
  stoppedAt,
  waitHealthy,
  waitReady,
} from './docker.js';
