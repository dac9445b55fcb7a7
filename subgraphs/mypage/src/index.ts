export { myPageConfig, type MyPageConfig } from './config.js';
export { startMyPageService } from './service.js';
