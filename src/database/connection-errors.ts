/**
 * A start-up failure on the database of a URL setting, said in terms of that setting: which
 * variable, which server, and what to change. Undefined when the error is not about reaching or
 * logging in to the server.
 */
export function describeConnectionError(error: unknown, url: string, variable = 'DATABASE_URL'): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const server = `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
  const user = decodeURIComponent(parsed.username) || 'the default user';
  const database = decodeURIComponent(parsed.pathname.slice(1)) || user;
  const failure = error as { code?: string; message?: string; errors?: { code?: string }[] };
  const code = failure.code ?? failure.errors?.find((inner) => inner.code)?.code;
  const message = failure.message ?? '';
  if (/password must be a string|no password|password is required/i.test(message)) {
    return (
      `${variable} has no password, but the PostgreSQL server at ${server} asks for ` +
      `one: write it in the URL (postgres://${user}:PASSWORD@${server}/${database}).`
    );
  }
  // PgBouncer refuses the session settings a direct connection sends; in transaction mode it shares one session's statements with others.
  if (/unsupported startup parameter/i.test(message)) {
    return (
      `${variable} leads to a connection pooler at ${server}, which refused a session setting (${message}): set DB_POOL_MODE ` +
      `to the pooler's mode (transaction or session), and DATABASE_DIRECT_URL to the server behind it (README, Production database).`
    );
  }
  if (/prepared statement "[^"]*" (already exists|does not exist)/i.test(message)) {
    return (
      `${variable} at ${server} shares sessions between clients (${message}): a pooler in transaction mode lies in between; ` +
      `set DB_POOL_MODE=transaction (README, Production database).`
    );
  }
  switch (code) {
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `cannot reach the PostgreSQL server of ${variable} at ${server} (${code}): is it running and listening there?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host of ${variable}, '${parsed.hostname}' (${code}).`;
    case 'ETIMEDOUT':
      return `the PostgreSQL server of ${variable} at ${server} did not answer in time (${code}).`;
    case '28P01':
      return `the PostgreSQL server at ${server} refused the password of ${variable} for user '${user}'.`;
    case '28000':
      return `the PostgreSQL server at ${server} does not let user '${user}' of ${variable} in (${message}).`;
    case '3D000':
      return (
        `${variable} names database '${database}', which does not exist on the PostgreSQL ` +
        `server at ${server}: create it (createdb ${database}) or change the URL.`
      );
  }
  if (/timeout/i.test(message) && /connect/i.test(message)) return `the PostgreSQL server of ${variable} at ${server} did not answer in time (${message}).`;
  return undefined;
}
