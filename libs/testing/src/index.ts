export { labImages, type LabImages } from './images.js';
export { startAll, startEtcd, startPostgres, startRedis, type Started } from './containers.js';
