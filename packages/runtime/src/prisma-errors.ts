/**
 * The few Prisma error codes the contexts act on, read by shape so that no shared module depends
 * on a context's generated client. Only the database edge of a context uses these; domain code
 * sees what they mean (a repeat, a decision taken elsewhere), never a code.
 */
interface PrismaKnownError {
  code: string;
  meta?: { driverAdapterError?: { cause?: { kind?: string } } };
}

const isPrismaKnownError = (error: unknown): error is PrismaKnownError =>
  error instanceof Error && error.name === 'PrismaClientKnownRequestError' && typeof (error as { code?: unknown }).code === 'string';

/** A unique-key violation, from a model query (P2002) or a raw one (P2010 with the driver's kind). */
export function isUniqueViolation(error: unknown): boolean {
  if (!isPrismaKnownError(error)) return false;
  return error.code === 'P2002' || (error.code === 'P2010' && error.meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation');
}

/** An update or delete whose `where` matched no row (P2025). */
export const isRecordNotFound = (error: unknown): boolean => isPrismaKnownError(error) && error.code === 'P2025';
