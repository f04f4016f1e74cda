import type { Client } from 'pg';
import { withClient as withConnection } from './with-client';

/** The role and database the service uses on the embedded server: the database's owner, not a superuser. */
export const APP_ROLE = 'assistants';
export const APP_DATABASE = 'assistants';

function withClient<T>(url: string, database: string, work: (client: Client) => Promise<T>): Promise<T> {
  const target = new URL(url);
  target.pathname = `/${database}`;
  return withConnection({ connectionString: target.toString() }, work);
}

/**
 * Makes the app role and its database on the embedded server, as its superuser. Data that an
 * earlier version kept in the `postgres` database (as the superuser) moves to the app database
 * whole: the database is renamed and everything in it handed to the app role.
 */
export async function prepareAppDatabase(adminUrl: string, appPassword: string): Promise<void> {
  await withClient(adminUrl, 'template1', async (client) => {
    const role = client.escapeIdentifier(APP_ROLE);
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
    await client.query(
      `${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB ` +
        `NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${client.escapeLiteral(appPassword)}`,
    );
    const database = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [APP_DATABASE]);
    if (database.rowCount === 0) {
      const legacy = await withClient(
        adminUrl,
        'postgres',
        async (old) => (await old.query(`SELECT to_regclass('public.migrations') AS found`)).rows[0].found !== null,
      );
      if (legacy) {
        await client.query(`ALTER DATABASE postgres RENAME TO ${client.escapeIdentifier(APP_DATABASE)}`);
        await client.query('CREATE DATABASE postgres');
      } else {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(APP_DATABASE)}`);
      }
    }
    await client.query(`ALTER DATABASE ${client.escapeIdentifier(APP_DATABASE)} OWNER TO ${role}`);
  });
  await withClient(adminUrl, APP_DATABASE, async (client) => {
    await client.query(`
      DO $$
      DECLARE item record;
      BEGIN
        EXECUTE format('ALTER SCHEMA public OWNER TO %I', '${APP_ROLE}');
        FOR item IN SELECT format('ALTER TABLE public.%I OWNER TO %I', c.relname, '${APP_ROLE}') AS statement
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND pg_get_userbyid(c.relowner) <> '${APP_ROLE}'
        LOOP EXECUTE item.statement; END LOOP;
        FOR item IN SELECT format('ALTER SEQUENCE public.%I OWNER TO %I', c.relname, '${APP_ROLE}') AS statement
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> '${APP_ROLE}'
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
        LOOP EXECUTE item.statement; END LOOP;
        FOR item IN SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, '${APP_ROLE}') AS statement
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '${APP_ROLE}'
        LOOP EXECUTE item.statement; END LOOP;
      END $$`);
  });
}
