import type { z } from 'zod';
import { DomainError } from './errors.js';

/** Parses input at the edge: a value that breaks the schema is an INVALID_INPUT refusal. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
  throw new DomainError('INVALID_INPUT', `Invalid input — ${problems.join('; ')}.`, {
    fields: result.error.issues.map((issue) => issue.path.join('.')),
  });
}
