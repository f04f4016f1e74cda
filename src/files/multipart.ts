import busboy from 'busboy';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { ApiError } from '../common/errors/api-error';
import { clientClosedRequest } from '../common/http/json-body';
import { invalidType, invalidValue, missingParameter, notOneOf, Problem, unknownParameter, uploadWording } from '../common/errors/wording';
import { FILE_PURPOSES, FilePurpose } from './file.entity';

export const MIN_EXPIRY_SECONDS = 3600;
export const MAX_EXPIRY_SECONDS = 2592000;

export interface UploadedFile {
  filename: string;
  contentType: string;
}

/** What the form says besides the file. */
export interface UploadFields {
  purpose: FilePurpose;
  /** Seconds from creation to expiry, or null. */
  expiresAfter: number | null;
}

const FIELDS = ['purpose', 'expires_after[anchor]', 'expires_after[seconds]'];
export const MIME_TYPE = /^[A-Za-z0-9][\w.+-]{0,126}\/[A-Za-z0-9][\w.+-]{0,126}$/;

/** A file part without a filename (busboy leaves it undefined) has none to store: refused like an empty one. */
export function filenameProblem(filename: string | undefined): Problem | undefined {
  if (filename === undefined || filename.length === 0 || filename.length > 255 || /[/\\\u0000-\u001f\u007f-\u009f]/.test(filename))
    return invalidValue('file', uploadWording.badFilename);
  return undefined;
}

function fieldProblem(name: string, value: string): Problem | undefined {
  if (!FIELDS.includes(name)) return unknownParameter(name);
  if (name === 'purpose' && !(FILE_PURPOSES as readonly string[]).includes(value)) return notOneOf('purpose', FILE_PURPOSES, value);
  if (name === 'expires_after[anchor]' && value !== 'created_at') return notOneOf('expires_after.anchor', ['created_at'], value);
  if (name === 'expires_after[seconds]') {
    if (!/^\d+$/.test(value)) return invalidType('expires_after.seconds', 'an integer', value);
    const seconds = Number(value);
    if (seconds < MIN_EXPIRY_SECONDS || seconds > MAX_EXPIRY_SECONDS) {
      return invalidValue(
        'expires_after.seconds',
        `expected an integer from ${MIN_EXPIRY_SECONDS} to ${MAX_EXPIRY_SECONDS}, but got ${value.slice(0, 40)} instead.`,
      );
    }
  }
  return undefined;
}

function fieldsOf(values: Map<string, string>): UploadFields {
  const purpose = values.get('purpose');
  if (purpose === undefined) throw ApiError.problem(missingParameter('purpose'));
  const anchor = values.get('expires_after[anchor]');
  const seconds = values.get('expires_after[seconds]');
  if ((anchor === undefined) !== (seconds === undefined))
    throw ApiError.problem(missingParameter(anchor === undefined ? 'expires_after.anchor' : 'expires_after.seconds'));
  if (seconds !== undefined) return { purpose: purpose as FilePurpose, expiresAfter: Number(seconds) };
  // The API's default: batch files expire after 30 days, any other is kept until deleted.
  return { purpose: purpose as FilePurpose, expiresAfter: purpose === 'batch' ? MAX_EXPIRY_SECONDS : null };
}

export const tooLarge = (max: number): ApiError =>
  new ApiError(413, { message: uploadWording.tooLarge(max), type: 'invalid_request_error', param: 'file', code: 'file_too_large' });

export const notMultipart = (): ApiError => ApiError.badRequest(uploadWording.notMultipart, null, 'invalid_content_type');

/**
 * Reads a multipart/form-data upload as it arrives: the one `file` part is handed to `store`
 * (which consumes it, so the parser waits while the bytes are written), the fields are checked as
 * they come. Rejects with the first problem, once `store` has stopped; a client that goes away
 * mid-upload fails `store` too.
 */
export function readUpload(
  source: Readable,
  headers: IncomingHttpHeaders,
  maxBytes: number,
  store: (file: UploadedFile, data: Readable) => Promise<number>,
): Promise<{ file: UploadedFile; bytes: number; fields: UploadFields }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers,
        preservePath: true,
        defParamCharset: 'utf8',
        limits: { fileSize: maxBytes, fields: 10, fieldSize: 1024, parts: 20, headerPairs: 20 },
      });
    } catch {
      return reject(notMultipart());
    }
    const values = new Map<string, string>();
    let file: UploadedFile | undefined;
    let stored: Promise<number> | undefined;
    let current: Readable | undefined;
    let settled = false;

    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      source.unpipe(parser);
      if (current && !current.readableEnded) {
        current.on('error', () => undefined);
        current.destroy(error instanceof Error ? error : new Error(String(error)));
      }
      // What is left of the body is read and dropped, so that the answer reaches a client still sending.
      if (!source.destroyed) source.resume();
      void (stored ?? Promise.resolve(0)).catch(() => 0).then(() => reject(error));
    };
    // Nobody reads the answer: logged as a closed request (499), not as the service's failure.
    const aborted = () => fail(clientClosedRequest());

    source.once('aborted', aborted);
    source.once('error', fail);
    source.once('close', () => {
      if ((source as Readable & { complete?: boolean }).complete === false) aborted();
    });

    // A handler that throws would throw inside busboy's emit, out of the request: it fails the upload instead.
    const guarded =
      <A extends unknown[]>(handler: (...args: A) => void) =>
      (...args: A) => {
        try {
          handler(...args);
        } catch (error) {
          fail(error);
        }
      };

    parser.on(
      'file',
      guarded((name: string, data: Readable, info: busboy.FileInfo) => {
        if (settled) return void data.resume();
        if (name !== 'file') return fail(ApiError.problem(unknownParameter(name)));
        if (file) return fail(ApiError.problem(invalidValue('file', uploadWording.oneFile)));
        const problem = filenameProblem(info.filename as string | undefined);
        if (problem) return fail(ApiError.problem(problem));
        file = { filename: info.filename, contentType: MIME_TYPE.test(info.mimeType) ? info.mimeType.toLowerCase() : 'application/octet-stream' };
        current = data;
        // A form that ends inside the file part fails the file stream as well as the parser: the parser's
        // 'error' answers it (400), the storage sees it as the end of its source. Unheard, it would crash the process.
        data.on('error', () => undefined);
        data.once('limit', () => fail(tooLarge(maxBytes)));
        stored = store(file, data);
        stored.catch(fail);
      }),
    );
    parser.on(
      'field',
      guarded((name: string, value: string, info: busboy.FieldInfo) => {
        if (settled) return;
        if (name === 'file') return fail(ApiError.badRequest(uploadWording.notAFile, 'file', 'invalid_type'));
        if (values.has(name)) return fail(ApiError.problem(invalidValue(name, 'given more than once: send each field once.')));
        const problem = info.valueTruncated ? invalidValue(name, 'value too long.') : fieldProblem(name, value);
        if (problem) return fail(ApiError.problem(problem));
        values.set(name, value);
      }),
    );
    for (const limit of ['partsLimit', 'filesLimit', 'fieldsLimit'])
      parser.on(limit, () => fail(ApiError.badRequest(uploadWording.malformed('too many parts'))));
    parser.on('error', (error: Error) => fail(ApiError.badRequest(uploadWording.malformed(error.message.replace(/^Multipart: /, '').replace(/\.$/, '')))));
    parser.on('close', () => {
      if (settled) return;
      if (!file || !stored) return fail(ApiError.problem(missingParameter('file')));
      let fields: UploadFields;
      try {
        fields = fieldsOf(values);
      } catch (error) {
        return fail(error);
      }
      const uploaded = file;
      stored.then(
        (bytes) => {
          if (settled) return;
          settled = true;
          resolve({ file: uploaded, bytes, fields });
        },
        () => undefined,
      );
    });
    source.pipe(parser);
  });
}
