import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { DrainState } from './common/http/drain';
import { loadApiKeys } from './common/auth/api-keys';
import { ConfigError, loadConfig } from './config/app.config';
import { runMigrations } from './database/data-source';
import { openDatabase } from './database/embedded-database';

async function main(): Promise<void> {
  const config = loadConfig();
  const keys = loadApiKeys(config.apiKeys, config.dataDir);
  const database = await openDatabase(config);
  // Migrations need a session of their own: past the pooler when a direct URL is given.
  if (config.migrationsRun) await runMigrations(config.databaseDirectUrl ?? database.url);
  const app = await createApp({
    database: {
      url: database.url,
      poolSize: config.dbPoolSize,
      poolMode: config.dbPoolMode,
      directUrl: config.databaseDirectUrl,
      keyPollMs: config.apiKeysPollMs,
    },
    apiKeys: keys.keys,
    bodyLimitBytes: config.bodyLimitBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    corsOrigins: config.corsOrigins,
    logLevel: config.logLevel,
  });
  await app.listen(config.port, config.host);

  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  const banner = [
    `Listening on ${url}  (OpenAI dialect: ${url}/v1, Azure OpenAI dialect: ${url}/openai)`,
    database.embedded
      ? `Data: embedded PostgreSQL in ${config.dataDir}`
      : `Data: the PostgreSQL server of DATABASE_URL${config.dbPoolMode === 'direct' ? '' : ` (through a pooler in ${config.dbPoolMode} mode)`}`,
  ];
  if (keys.source === 'API_KEYS') banner.push(`API keys: ${keys.keys.length} from API_KEYS`);
  if (keys.source === 'stored') banner.push(`API key: the one generated on first start, kept in ${keys.keyFile}`);
  // The generated secret is printed once, on the start that created it.
  if (keys.newSecret) banner.push(`API key (generated now, shown once, kept in ${keys.keyFile}):`, '', `  ${keys.newSecret}`, '');
  if (config.logLevel !== 'silent') process.stdout.write(banner.join('\n') + '\n');

  const logger = new Logger('Main');
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: finishing in-flight requests, then stopping`);
    app.get(DrainState).draining = true;
    await app.close();
    await database.embedded?.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${error.message}\n`);
  } else {
    process.stderr.write(`Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
