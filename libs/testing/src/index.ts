export { labImages, type LabImages } from './images.js';
export {
  startAll,
  startEtcd,
  startPostgres,
  startRedis,
  type RedisOptions,
  type RedisPersistence,
  type Started,
  type StartedRedis,
} from './containers.js';
export { closedPort } from './ports.js';
export { loadCpu, type CpuLoad, type CpuLoadOptions } from './cpu-load.js';
export { startMockKafka, type MockKafka } from './mock-kafka.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export {
  createTestAppBuilder,
  type ExtraDeps,
  type TestApp,
  type TestAppBuilder,
  type TestAppSpec,
} from './test-app.js';
export { CORPUS_DIR, expandCorpus, readCorpus, type CorpusEntry } from './corpus.js';
export { parseResponses, rawExchange, type RawExchange, type RawResponse } from './raw-http.js';
export {
  fetched,
  injected,
  observeShedding,
  OVERLOADED,
  saturateEventLoop,
  type Answer,
  type Send,
  type SheddingObservation,
} from './load-pressure.js';
