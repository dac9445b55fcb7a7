/** What a GraphQL operation name may look like (the spec's Name), and no longer than this. */
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

/** The label of an operation that has no name. */
export const ANONYMOUS_OPERATION = 'anonymous';
/** The label every operation name shares once the bound is reached (and any that is not a plain GraphQL name). */
export const OTHER_OPERATIONS = 'other';

/**
 * Operation names as metric label values, bounded. An operation's name is the client's to choose,
 * and each distinct label value is a time series kept for the life of the process: a client
 * sending a new name on every request must not grow the process or the monitoring without end.
 * So the first `max` distinct names keep their own label, and every later one shares `other`.
 */
export class OperationLabels {
  private readonly known = new Set<string>();

  constructor(private readonly max = 50) {}

  labelOf(operationName: string | null | undefined): string {
    if (!operationName) return ANONYMOUS_OPERATION;
    if (this.known.has(operationName)) return operationName;
    if (this.known.size >= this.max || !OPERATION_NAME.test(operationName)) return OTHER_OPERATIONS;
    this.known.add(operationName);
    return operationName;
  }
}
