/**
 * @nestjs/common's two logger modules each build an Intl.DateTimeFormat as they load, for the
 * timestamps of Nest's console logger, which this service does not print through (its logs are
 * pino's). Building one reads ICU's locale and calendar data out of the node binary: about 10 MiB
 * more RSS for the life of the process (README, Performance). Loaded first, this module loads those
 * two with a constructor that builds the real formatter at its first use, then puts the global back.
 */
import 'reflect-metadata';

const DateTimeFormat = Intl.DateTimeFormat;

function formatterOnFirstUse(locales?: string | string[], options?: Intl.DateTimeFormatOptions): Pick<Intl.DateTimeFormat, 'format'> {
  let formatter: Intl.DateTimeFormat | undefined;
  return { format: (date) => (formatter ??= new DateTimeFormat(locales, options)).format(date) };
}

Intl.DateTimeFormat = formatterOnFirstUse as unknown as typeof Intl.DateTimeFormat;
try {
  /* eslint-disable @typescript-eslint/no-require-imports */
  require('@nestjs/common/services/logger.service');
  require('@nestjs/common/services/console-logger.service');
  /* eslint-enable @typescript-eslint/no-require-imports */
} finally {
  Intl.DateTimeFormat = DateTimeFormat;
}
