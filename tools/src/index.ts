export * from './child-process.js';
export * from './free-port.js';
export * from './process-marker.js';
export * from './launch-shop.js';
export * from './dead-letters.js';
export * from './start-ports.js';
export * from './restart-policy.js';
