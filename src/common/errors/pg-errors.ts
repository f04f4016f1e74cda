/**
 * The database driver's errors, classified by their code: PostgreSQL's SQLSTATE, or Node's socket
 * error code. Only errors that pg and pg-pool raise without any code are known by their text.
 */

/** PostgreSQL's SQLSTATE of a failed query, if it is one. */
export function sqlState(error: unknown): string | undefined {
  const code = codeOf(error);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : '');

export const FOREIGN_KEY_VIOLATION = '23503';
/** Raised by statement_timeout. */
export const QUERY_CANCELED = '57014';

/** The database cannot be reached or is going away: sockets that fail, a server shutting down or starting, a broken connection. */
const CONNECTION_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '08006',
  '08001',
  '08003',
  '08004',
]);

/** pg and pg-pool's errors of a lost or unobtainable connection, which carry no code. */
const UNCODED_CONNECTION_FAILURES = ['Connection terminated', 'timeout exceeded when trying to connect', 'Client has encountered a connection error'];

/** pg's own read timeout (query_timeout), which carries no code. */
const UNCODED_QUERY_TIMEOUT = 'Query read timeout';

export function isConnectionFailure(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined) return CONNECTION_FAILURES.has(code);
  const message = messageOf(error);
  return UNCODED_CONNECTION_FAILURES.some((known) => message.startsWith(known));
}

/** A statement cancelled by statement_timeout, or a response pg stopped waiting for. */
export function isQueryTimeout(error: unknown): boolean {
  return sqlState(error) === QUERY_CANCELED || (codeOf(error) === undefined && messageOf(error) === UNCODED_QUERY_TIMEOUT);
}
