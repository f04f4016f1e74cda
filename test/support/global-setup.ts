import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMigrations } from '../../src/database/data-source';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { ADMIN_URL_ENV, APP_URL_ENV, databaseUrl, RUN_PREFIX_ENV, TEMPLATE_ENV, withAdmin } from './test-database';

declare global {
  var embeddedTestPostgres: EmbeddedPostgres | undefined;
}

/**
 * DATABASE_URL when set (its server hosts the test databases), else an embedded PostgreSQL in a
 * temporary directory. One template database is migrated; every test file clones it.
 * With DATABASE_DIRECT_URL too, DATABASE_URL is a pooler in front of that server: the apps under
 * test go through it, while creating, migrating and dropping databases goes direct.
 */
export default async function globalSetup(): Promise<void> {
  const appUrl = process.env.DATABASE_URL;
  let adminUrl = process.env.DATABASE_DIRECT_URL || appUrl;
  if (!adminUrl) {
    const embedded = new EmbeddedPostgres({ dataDir: mkdtempSync(join(tmpdir(), 'threads-test-')), ephemeral: true, settings: { fsync: 'off' } });
    adminUrl = await embedded.start();
    globalThis.embeddedTestPostgres = embedded;
  }
  const prefix = `tt_${randomBytes(4).toString('hex')}_`;
  const template = `${prefix}template`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(template)}`));
  await runMigrations(databaseUrl(adminUrl, template));
  process.env[ADMIN_URL_ENV] = adminUrl;
  process.env[APP_URL_ENV] = appUrl && process.env.DATABASE_DIRECT_URL ? appUrl : adminUrl;
  process.env[TEMPLATE_ENV] = template;
  process.env[RUN_PREFIX_ENV] = prefix;
}
