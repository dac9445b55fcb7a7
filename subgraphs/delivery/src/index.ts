export { deliveryConfig, type DeliveryConfig } from './config.js';
export { startDeliveryService } from './service.js';
