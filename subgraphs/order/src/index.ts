export { orderConfig, type OrderConfig } from './config.js';
export { startOrderService } from './service.js';
