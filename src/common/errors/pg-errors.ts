/** PostgreSQL's SQLSTATE of a failed query, if it is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export const FOREIGN_KEY_VIOLATION = '23503';
/** Raised by statement_timeout. */
export const QUERY_CANCELED = '57014';
