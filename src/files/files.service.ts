import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, StreamableFile } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, notFound } from '../common/errors/api-error';
import { RawRequestBody } from '../common/http/raw-body';
import { newFileId } from '../common/ids';
import { listEnvelope, ListEnvelope } from '../common/pagination/list-envelope';
import type { Queryable } from '../database/sql';
import { IdempotentRequest } from '../idempotency/idempotency-key.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { FileRecord } from './file.entity';
import { contentDisposition, FileObject, presentFile, presentFileDeleted } from './file.presenter';
import { FilesRepository } from './files.repository';
import { FILES_SETTINGS, FilesSettings } from './files.settings';
import { ListFilesQueryDto } from './list-files-query.dto';
import { notMultipart, readUpload, tooLarge } from './multipart';
import { FILE_STORAGE, FileStorage } from './storage/file-storage';

export const DEFAULT_FILES_LIMIT = 10_000;
/** Room for the multipart framing and fields around the file's bytes. */
const FORM_OVERHEAD_BYTES = 64 * 1024;
const PURGE_EVERY_MS = 60 * 1000;
const PURGE_BATCH = 500;

@Injectable()
export class FilesService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('FilesService');
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly files: FilesRepository,
    private readonly idempotency: IdempotencyService,
    @Inject(FILE_STORAGE) private readonly storage: FileStorage,
    @Inject(FILES_SETTINGS) private readonly settings: FilesSettings,
  ) {}

  onModuleInit(): void {
    this.purgeTimer = setInterval(
      () => void this.purgeExpired().catch((error: Error) => this.logger.warn(`purging expired files failed: ${error.message}`)),
      PURGE_EVERY_MS,
    );
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }

  /**
   * Streams the upload into storage inside one transaction with the file's row: the file exists
   * once all of it is stored and the form is valid, never in part. Anything else (a bad field, a
   * client gone, the database gone) leaves no row, no chunk and no object.
   */
  async create(tenant: string, headers: IncomingHttpHeaders, body: unknown, idempotency?: IdempotentRequest): Promise<FileObject> {
    if (!(body instanceof RawRequestBody) || !/^multipart\/form-data\s*;/i.test(headers['content-type'] ?? '')) throw notMultipart();
    const declared = Number(headers['content-length']);
    if (declared > this.settings.maxBytes + FORM_OVERHEAD_BYTES) {
      body.stream.resume();
      throw tooLarge(this.settings.maxBytes);
    }
    const id = newFileId();
    const store = (tx: Queryable) => this.store(tenant, id, headers, body, tx);
    try {
      const created = idempotency ? await this.idempotency.run(tenant, idempotency, (tx) => store(tx as Queryable)) : await this.files.transaction(store);
      // A replayed response: this request's body was not needed.
      if (!body.stream.readableEnded) body.stream.resume();
      return created;
    } catch (error) {
      await this.storage.discard(id);
      throw error;
    }
  }

  private async store(tenant: string, id: string, headers: IncomingHttpHeaders, body: RawRequestBody, tx: Queryable): Promise<FileObject> {
    const upload = await readUpload(body.stream, headers, this.settings.maxBytes, async (file, data) => {
      await this.files.insert({ id, tenant, filename: file.filename, purpose: 'user_data', contentType: file.contentType, expiresAfter: null }, tx);
      return this.storage.write(id, data, tx);
    });
    return presentFile(await this.files.complete(id, upload.bytes, { filename: upload.file.filename, ...upload.fields }, tx));
  }

  async list(tenant: string, query: ListFilesQueryDto): Promise<ListEnvelope<FileObject>> {
    const page = await this.files.list({
      tenant,
      order: query.order ?? 'desc',
      limit: query.limit ?? DEFAULT_FILES_LIMIT,
      after: query.after,
      purpose: query.purpose,
    });
    if (page.kind === 'no-cursor') throw invalidCursor(query.after as string);
    return listEnvelope(page.files.map(presentFile), page.hasMore);
  }

  async retrieve(tenant: string, id: string): Promise<FileObject> {
    return presentFile(await this.find(tenant, id));
  }

  async delete(tenant: string, id: string) {
    if (!(await this.files.delete(tenant, id))) throw notFound('file', id);
    await this.storage.remove([id]);
    return presentFileDeleted(id);
  }

  /** The bytes, streamed from storage, with their type, length and the original filename. */
  async content(tenant: string, id: string): Promise<StreamableFile> {
    const file = await this.find(tenant, id);
    return new StreamableFile(this.storage.read(id, file.bytes), {
      type: file.contentType,
      length: file.bytes,
      disposition: contentDisposition(file.filename),
    });
  }

  /** Deletes expired files and their bytes, a batch at a time; the number deleted. */
  async purgeExpired(): Promise<number> {
    let purged = 0;
    for (;;) {
      const ids = await this.files.deleteExpired(PURGE_BATCH);
      if (ids.length === 0) return purged;
      await this.storage.remove(ids);
      purged += ids.length;
    }
  }

  private async find(tenant: string, id: string): Promise<FileRecord> {
    const file = await this.files.find(tenant, id);
    if (!file) throw notFound('file', id);
    return file;
  }
}

function invalidCursor(id: string): ApiError {
  return ApiError.badRequest(
    `Invalid 'after': '${id}' is not an object of this list. Use the id of an object from a previous page.`,
    'after',
    'invalid_cursor',
  );
}
