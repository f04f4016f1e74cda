import { loadConfig } from '../config/app.config';
import { createDataSource, ENTITY_FILES } from './data-source';
import { openDatabase } from './embedded-database';

/** Used by the TypeORM CLI (`npm run migration:*`): the same database the service would use. */
export const cliDataSource = openDatabase(loadConfig(), { attach: true }).then(({ url }) => createDataSource({ url }, [ENTITY_FILES]));
