export { createCoordinator, type Coordinator, type CoordinatorOptions } from './coordinator.js';
export { Campaign, type CampaignOptions, type DemotionReason } from './campaign.js';
export type { Registration } from './registration.js';
export type { PrefixWatch } from './prefix-watch.js';
