export { reviewConfig, type ReviewConfig } from './config.js';
export { startReviewService } from './service.js';
