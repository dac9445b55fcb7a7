import { prepareTemplates } from './templates.js';

/** vitest globalSetup: migrated templates exist before any test file runs. */
export default async function setup(): Promise<void> {
  await prepareTemplates();
}
