import { ConfigError } from './app.config';
import { searchConfig } from './data.config';

/*
 * Settings read as the service's modules load (SEARCH_CONFIG, in the search column's definition),
 * checked before they load: a bad value stops the start with a configuration error naming the
 * variable, as any other does, not with a stack trace out of a module's load.
 */
try {
  searchConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`Configuration error: ${error.message}\n`);
  process.exit(1);
}
