import { describeConnectionError } from './connection-errors';

const URL_ = 'postgres://app@db.internal:6543/threads';

describe('describeConnectionError', () => {
  it('names the variable, the server and the fix for each way a connection fails', () => {
    expect(describeConnectionError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6543'), { code: 'ECONNREFUSED' }), URL_)).toBe(
      'cannot reach the PostgreSQL server of DATABASE_URL at db.internal:6543 (ECONNREFUSED): is it running and listening there?',
    );
    const both = Object.assign(new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })], ''), {});
    expect(describeConnectionError(both, 'postgres://localhost/x')).toContain('at localhost:5432 (ECONNREFUSED)');
    expect(describeConnectionError(new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'), URL_)).toBe(
      'DATABASE_URL has no password, but the PostgreSQL server at db.internal:6543 asks ' +
        'for one: write it in the URL (postgres://app:PASSWORD@db.internal:6543/threads).',
    );
    expect(describeConnectionError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), URL_)).toContain("host of DATABASE_URL, 'db.internal'");
    expect(describeConnectionError(Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' }), URL_)).toContain(
      "for user 'app'",
    );
    expect(describeConnectionError(Object.assign(new Error('database "threads" does not exist'), { code: '3D000' }), URL_)).toContain("database 'threads'");
    expect(describeConnectionError(new Error('timeout exceeded when trying to connect'), URL_, 'DATABASE_DIRECT_URL')).toContain(
      'DATABASE_DIRECT_URL at db.internal:6543',
    );
  });

  it('says that a pooler lies in front of the server, and which setting to change', () => {
    expect(describeConnectionError(Object.assign(new Error('unsupported startup parameter: statement_timeout'), { code: '08P01' }), URL_)).toBe(
      'DATABASE_URL leads to a connection pooler at db.internal:6543, which refused a session setting (unsupported startup parameter: ' +
        "statement_timeout): set DB_POOL_MODE to the pooler's mode (transaction or session), and DATABASE_DIRECT_URL to the server behind it " +
        '(README, Production database).',
    );
    expect(describeConnectionError(Object.assign(new Error('prepared statement "s_1" already exists'), { code: '42P05' }), URL_)).toContain(
      'set DB_POOL_MODE=transaction',
    );
  });

  it('leaves other errors alone', () => {
    expect(describeConnectionError(Object.assign(new Error('syntax error'), { code: '42601' }), URL_)).toBeUndefined();
  });
});
