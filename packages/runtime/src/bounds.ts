import { z } from 'zod';

/** Whitespace and invisible format characters (zero-width space, BOM, …) at either end. */
const INVISIBLE_EDGES = /^[\s\p{Cf}]+|[\s\p{Cf}]+$/gu;
/** Control characters (NUL and the like) other than tab and line breaks: no text of the shop holds one. */
const CONTROL_CHARACTER = /[^\P{Cc}\t\n\r]/u;

/**
 * Text as the shop stores and compares it: Unicode NFC, with whitespace and invisible characters
 * trimmed from both ends, so "Dune\u200b" is the title "Dune" and "\u200b" is empty.
 */
export const normalizeText = (text: string) => text.normalize('NFC').replace(INVISIBLE_EDGES, '');

/** The shop's input bounds (DECISIONS.md), one definition for every context. */
const trimmedText = (max: number) =>
  z
    .string()
    .transform(normalizeText)
    .pipe(
      z
        .string()
        .min(1, 'must not be empty')
        .max(max, `must be at most ${max} characters`)
        .refine((text) => !CONTROL_CHARACTER.test(text), 'must not contain control characters'),
    );

export const bounds = {
  title: trimmedText(200),
  author: trimmedText(200),
  publisher: trimmedText(200),
  address: trimmedText(500),
  reviewContent: trimmedText(2_000),
  rating: z.number().int().min(1, 'must be from 1 to 5').max(5, 'must be from 1 to 5'),
  quantity: z.number().int().min(1, 'must be at least 1').max(1_000, 'must be at most 1,000'),
  stock: z.number().int().min(0, 'must not be negative').max(1_000_000_000, 'must be at most 1,000,000,000'),
  id: z.string().uuid('is not a valid id'),
  idempotencyKey: z.string().min(1).max(200),
  pageSize: z.number().int().min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
};

/** `first` / `after` of every list query. */
export const pageArgs = z.object({
  first: bounds.pageSize,
  after: bounds.id.nullish(),
});
export type PageArgs = z.infer<typeof pageArgs>;
