import type { FilesSettings } from '../files.settings';
import { FilesRepository } from '../files.repository';
import type { FileStorage } from './file-storage';
import { PostgresFileStorage } from './postgres.storage';

/** The storage the settings choose: the service's provider and the export and import commands build it the same way. */
export function storageFor(settings: FilesSettings, files: FilesRepository): FileStorage {
  if (settings.storage === 's3' && settings.s3) {
    // The AWS SDK is loaded only when S3 is chosen.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { S3FileStorage } = require('./s3.storage') as typeof import('./s3.storage');
    return new S3FileStorage(settings.s3);
  }
  return new PostgresFileStorage(files);
}
