import { loadConfig } from '../config/app.config';
import { createDataSource, ENTITY_FILES } from './data-source';
import { openDatabase } from './embedded-database';

/**
 * Used by the TypeORM CLI (`npm run migration:*`): the same database the service would use,
 * past the pooler when DATABASE_DIRECT_URL is set.
 */
const config = loadConfig();
export const cliDataSource = openDatabase(config, { attach: true }).then(({ url }) =>
  createDataSource({ url: config.databaseDirectUrl ?? url }, [ENTITY_FILES]),
);
