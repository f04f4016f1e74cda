import 'reflect-metadata';
import './runtime/nest-logger-date-format';
import './config/checked-before-load';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { DrainState } from './common/http/drain';
import { keepGeneratedKey, loadApiKeys } from './auth/api-keys';
import { AppConfig, ConfigError, loadConfig } from './config/app.config';
import { loadDataConfig } from './config/data.config';
import { loadFilesConfig } from './config/files.config';
import { ensureWritableDir } from './config/writable-dir';
import { describeConnectionError } from './database/connection-errors';
import { runMigrations } from './database/data-source';
import { openDatabase } from './database/embedded-database';
import { EmbeddedPostgresError } from './database/embedded-postgres';
import { checkDirectConnection, checkSearchConfig } from './database/database-check';

async function main(config: AppConfig): Promise<void> {
  const files = loadFilesConfig();
  const keys = loadApiKeys(config.apiKeys, config.dataDir);
  if (keys.newSecret) ensureWritableDir(config.dataDir, 'DATA_DIR', ', or set API_KEYS');
  const data = loadDataConfig();
  const database = await openDatabase(config);
  await onDirectUrl(config, () => checkSearchConfig(config.databaseDirectUrl ?? database.url, data.searchConfig));
  // Migrations need a session of their own: past the pooler when a direct URL is given.
  if (config.migrationsRun) await onDirectUrl(config, () => runMigrations(config.databaseDirectUrl ?? database.url));
  if (config.dbPoolMode === 'direct' && !database.embedded) await checkDirectConnection(database.url);
  const app = await createApp({
    database: {
      url: database.url,
      poolSize: config.dbPoolSize,
      poolMode: config.dbPoolMode,
      directUrl: config.databaseDirectUrl,
      keyPollMs: config.apiKeysPollMs,
    },
    apiKeys: keys.keys,
    files,
    bodyLimitBytes: config.bodyLimitBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    corsOrigins: config.corsOrigins,
    platform: config.httpPlatform,
    logLevel: config.logLevel,
    connections: config.connections,
    rateLimitPerMinute: config.rateLimitPerMinute,
    authFailuresPerMinute: config.authFailuresPerMinute,
    metricsToken: config.metricsToken,
    docsEnabled: config.docsEnabled,
    retention: { days: data.retentionDays, intervalMs: data.retentionIntervalMs, batchSize: data.retentionBatchSize },
  });
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
  try {
    await app.listen(config.port, config.host);
  } catch (error) {
    throw new DescribedFailure(listenFailure(error, config));
  }
  // A generated key is kept, and shown, by the start that first serves with it.
  keepGeneratedKey(keys);

  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  const banner = [
    `Listening on ${url}  (OpenAI dialect: ${url}/v1, Azure OpenAI dialect: ${url}/openai)`,
    database.embedded
      ? `Data: embedded PostgreSQL in ${config.dataDir}`
      : `Data: the PostgreSQL server of DATABASE_URL${config.dbPoolMode === 'direct' ? '' : ` (through a pooler in ${config.dbPoolMode} mode)`}`,
  ];
  if (keys.source === 'API_KEYS') banner.push(`API keys: ${keys.keys.length} from API_KEYS`);
  if (keys.source === 'stored') banner.push(`API key: the one generated on first start, kept in ${keys.keyFile}`);
  if (keys.newSecret) banner.push(`API key (generated now, shown once, kept in ${keys.keyFile}):`, '', `  ${keys.newSecret}`, '');
  if (config.logLevel !== 'silent') process.stdout.write(banner.join('\n') + '\n');
}

/** A start-up failure already said in terms of the variable it is about. */
class DescribedFailure extends Error {}

/** Why the service could not listen, in terms of HOST and PORT. */
function listenFailure(error: unknown, config: AppConfig): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `HOST '${config.host}' cannot be resolved to an address (${code})`;
    case 'EADDRNOTAVAIL':
      return `HOST ${config.host} is no address of this machine (${code})`;
    case 'EADDRINUSE':
      return `PORT ${config.port} is already in use on ${config.host} (${code})`;
    case 'EACCES':
      return `PORT ${config.port} on ${config.host} needs privileges this process does not have (${code})`;
    default:
      return `cannot listen on HOST ${config.host}, PORT ${config.port}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Work on DATABASE_DIRECT_URL, when it is set: a failure to reach or log in to its server names that variable, not DATABASE_URL. */
async function onDirectUrl<T>(config: AppConfig, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const described = config.databaseDirectUrl ? describeConnectionError(error, config.databaseDirectUrl, 'DATABASE_DIRECT_URL') : undefined;
    throw described ? new DescribedFailure(described) : error;
  }
}

function startupFailure(error: unknown, config: AppConfig | undefined): string {
  if (error instanceof ConfigError) return `Configuration error: ${error.message}`;
  if (error instanceof DescribedFailure) return `Start-up failed: ${error.message}`;
  if (error instanceof EmbeddedPostgresError) return `Start-up failed: ${error.message}`;
  const described = config?.databaseUrl ? describeConnectionError(error, config.databaseUrl) : undefined;
  if (described) return `Start-up failed: ${described}`;
  return `Start-up failed: ${error instanceof Error ? error.message : String(error)}`;
}

let config: AppConfig | undefined;
try {
  config = loadConfig();
} catch (error) {
  process.stderr.write(startupFailure(error, undefined) + '\n');
  process.exit(1);
}
main(config).catch((error: unknown) => {
  process.stderr.write(startupFailure(error, config) + '\n');
  process.exit(1);
});
