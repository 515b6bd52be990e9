export { createApp, type AppOptions } from './create-app.js';
export { createAdminListener, type AdminListener, type AdminListenerOptions } from './admin-listener.js';
export { createClientErrorHandler } from './client-error.js';
export {
  LoadSheddingConfigSchema,
  loadSheddingOf,
  createLoadShedder,
  registerLoadShedding,
  type LoadShedder,
  type LoadSheddingOptions,
  type Pressure,
} from './load-shedding.js';
export { httpServerOptions, type ServerLimits } from './server-options.js';
export {
  createClientPlugin,
  type ClientPluginOptions,
  type ClientPluginSpec,
  type PluginClient,
} from './client-plugin.js';
export { createReadiness, type Readiness, type ReadinessCheck } from './readiness.js';
export { listenWithGrace, type ListenOptions } from './listen.js';
export { runService, BaseConfigSchema, type BaseConfig, type ServiceContext } from './run-service.js';
export { requestIdFrom } from './request-id.js';
export { AccessLogConfigSchema, createAccessLog, type AccessLog, type AccessLogConfig } from './access-log.js';
export { etcdPlugin, etcdUnavailable, optionalEtcdPlugin, type EtcdPluginOptions } from './etcd-plugin.js';
export { chainServerTiming, SERVER_TIMING, timingEntry } from './server-timing-header.js';
export {
  registerServerTiming,
  ServerTiming,
  type RequestTiming,
  type ServerTimingOptions,
  type TimingSink,
} from './server-timing.js';
export {
  createRunTimeSettings,
  runTimeSettingsRoutes,
  type RunTimeSettings,
  type RunTimeSettingsRoutesOptions,
} from './run-time-settings.js';
