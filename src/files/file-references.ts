import { Inject, Injectable } from '@nestjs/common';
import type { FileReferenceMode } from '../config/files.config';
import { ApiError } from '../common/errors/api-error';
import { FILES_SETTINGS, FilesSettings } from './files.settings';

/** A file id a request names, with the exact field that names it (`attachments[1].file_id`). */
export interface FileReference {
  fileId: string;
  param: string;
}

/**
 * The rule for ids of files in other objects (messages, threads): strict, each must name a live
 * file of the tenant, checked inside the statement that stores the object; any, ids are kept as given
 * (data imported from elsewhere).
 */
@Injectable()
export class FileReferences {
  readonly mode: FileReferenceMode;

  constructor(@Inject(FILES_SETTINGS) settings: FilesSettings) {
    this.mode = settings.references;
  }

  /** The ids to check in the statement: none when any id is admitted. */
  toCheck(references: readonly FileReference[]): string[] {
    return this.mode === 'strict' ? references.map((reference) => reference.fileId) : [];
  }

  /** The answer when the statement found the reference at `position` (1-based) missing. */
  missing(references: readonly FileReference[], position: number): ApiError {
    const { fileId, param } = references[position - 1];
    return ApiError.badRequest(`Invalid '${param}': no file found with id '${fileId}'.`, param, 'invalid_value');
  }
}
