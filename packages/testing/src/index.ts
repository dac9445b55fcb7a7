export * from './databases.js';
export * from './graphql.js';
export { prepareTemplates } from './templates.js';
