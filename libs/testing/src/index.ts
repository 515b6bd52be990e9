export { labImages, type LabImages } from './images.js';
export { startEtcd, startPostgres, startRedis, type Started } from './containers.js';
