import { DEFAULT_FILE_MAX_BYTES, FilesConfig } from '../config/files.config';

export type FilesSettings = FilesConfig;

export const FILES_SETTINGS = Symbol('FILES_SETTINGS');

export const DEFAULT_FILES_SETTINGS: FilesSettings = { storage: 'postgres', maxBytes: DEFAULT_FILE_MAX_BYTES, references: 'strict' };
