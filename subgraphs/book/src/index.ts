export { bookConfig, type BookConfig } from './config.js';
export { startBookService } from './service.js';
