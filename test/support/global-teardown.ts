import { ADMIN_URL_ENV, RUN_PREFIX_ENV, withAdmin } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env[ADMIN_URL_ENV];
  const prefix = process.env[RUN_PREFIX_ENV];
  if (adminUrl && prefix && !globalThis.embeddedTestPostgres) {
    await withAdmin(adminUrl, async (client) => {
      const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${prefix}%`]);
      for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`);
    });
  }
  await globalThis.embeddedTestPostgres?.stop();
}
