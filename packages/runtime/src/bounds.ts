import { z } from 'zod';

/**
 * Whitespace at either end (spaces, tabs, line breaks, no-break and ideographic spaces): trimmed, as
 * a form would. Invisible format characters (U+200B, U+FEFF, …) are not whitespace: they are refused,
 * at the ends too, rather than silently dropped, so what is stored is exactly what was sent, trimmed.
 */
const EDGE_WHITESPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;

/**
 * What no text of the shop may hold: control characters (NUL, ESC, DEL, C1 controls — PostgreSQL
 * fails on NUL, terminals obey ESC), format characters (zero-width and bidi controls, soft hyphen,
 * BOM, tag characters: invisible, they make look-alikes and reorder what a reader sees) and unpaired
 * surrogates (not text at all). Single-line text also refuses the Unicode line and paragraph separators.
 */
const FORBIDDEN = {
  singleLine: /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u,
  // Line breaks and tabs are what a multi-line text is made of; every other control is still refused.
  multiLine: /[^\P{Cc}\n\t]|[\p{Cf}\p{Cs}]/u,
};
type Lines = keyof typeof FORBIDDEN;

const codePoint = (character: string) => `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why a character is refused, in words a client developer can act on. */
function describeForbidden(character: string): string {
  if (/\p{Cc}/u.test(character)) return `a control character (${codePoint(character)})`;
  if (/\p{Cf}/u.test(character)) return `an invisible formatting character (${codePoint(character)})`;
  if (/\p{Cs}/u.test(character)) return `an unpaired surrogate (${codePoint(character)}), which is not valid Unicode`;
  return `a line break (${codePoint(character)})`;
}

/** Windows and old Mac line endings as "\n": one way to write a line break. */
const normalizeLineBreaks = (text: string) => text.replace(/\r\n?/g, '\n');

/** Text as the shop stores and compares it: Unicode NFC, whitespace trimmed from both ends. */
export const normalizeText = (text: string) => text.normalize('NFC').replace(EDGE_WHITESPACE, '');

/**
 * The first character `text` may not hold, described, or null when it has none. Single-line text
 * (titles, names, addresses) holds no control characters at all; multi-line text may hold line
 * breaks and tabs.
 */
export function forbiddenCharacter(text: string, lines: Lines = 'singleLine'): string | null {
  const match = FORBIDDEN[lines].exec(text);
  return match ? describeForbidden(match[0]) : null;
}

/** A zod check refusing a text with a forbidden character, saying which. */
const refuseForbidden = (lines: Lines) => (text: string, context: z.RefinementCtx) => {
  const forbidden = forbiddenCharacter(text, lines);
  if (forbidden) context.addIssue({ code: 'custom', message: `must not contain ${forbidden}` });
};

/** The shop's input bounds (docs/architecture.md, "Conventions"), one definition for every context. */
const boundedText = (max: number, lines: Lines = 'singleLine') =>
  z
    .string()
    .transform((text) => normalizeText(lines === 'multiLine' ? normalizeLineBreaks(text) : text))
    .pipe(z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`).superRefine(refuseForbidden(lines)));

export const bounds = {
  title: boundedText(200),
  author: boundedText(200),
  publisher: boundedText(200),
  address: boundedText(500),
  reviewContent: boundedText(2_000, 'multiLine'),
  rating: z.number().int().min(1, 'must be from 1 to 5').max(5, 'must be from 1 to 5'),
  quantity: z.number().int().min(1, 'must be at least 1').max(1_000, 'must be at most 1,000'),
  stock: z.number().int().min(0, 'must not be negative').max(1_000_000_000, 'must be at most 1,000,000,000'),
  id: z.string().uuid('is not a valid id'),
  // Opaque: compared as sent, never trimmed; but a NUL would fail in PostgreSQL like any text.
  idempotencyKey: z
    .string()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .superRefine(refuseForbidden('singleLine')),
  pageSize: z.number().int().min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
};

/** `first` / `after` of every list query. */
export const pageArgs = z.object({
  first: bounds.pageSize,
  after: bounds.id.nullish(),
});
export type PageArgs = z.infer<typeof pageArgs>;
