import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { pipeline, Readable } from 'node:stream';
import { tappedStream } from '../../common/tapped-stream';
import type { S3Config } from '../../config/files.config';
import { transferred } from '../../runtime/transfer-collections';
import type { FileStorage } from './file-storage';

/** Parts of 8 MiB, two in flight: an upload holds about 16 MiB whatever the file's size (S3's minimum part is 5 MiB). */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

/** Bytes as objects in an S3-compatible store, one per file, keyed by the prefix and the file's id. */
export class S3FileStorage implements FileStorage {
  readonly client: S3Client;

  constructor(private readonly config: S3Config) {
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: config.credentials,
    });
  }

  key(fileId: string): string {
    return `${this.config.prefix}${fileId}`;
  }

  async write(fileId: string, source: Readable): Promise<number> {
    let total = 0;
    // Counts the bytes on their way. The source failing or closing before its end (the upload refused
    // while its last bytes were still queued, the client gone) fails the upload, which then aborts its parts.
    const counted = tappedStream((chunk) => {
      total += chunk.length;
      transferred(chunk.length);
    });
    pipeline(source, counted, () => undefined);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.config.bucket, Key: this.key(fileId), Body: counted, ContentType: 'application/octet-stream' },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      await upload.abort().catch(() => undefined);
      throw error;
    }
    return total;
  }

  read(fileId: string): Readable {
    const out = tappedStream((chunk) => transferred(chunk.length));
    this.client
      .send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.key(fileId) }))
      // Either side ending early ends the other: a reader gone releases the object's connection.
      .then((response) => pipeline(response.Body as Readable, out, () => undefined))
      .catch((error: Error) => out.destroy(error));
    return out;
  }

  async discard(fileId: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.key(fileId) })).catch(() => undefined);
  }

  /** One DeleteObject per file, a few at a time: DeleteObjects needs a Content-MD5 that some S3-compatible servers insist on and the SDK no longer sends. */
  async remove(fileIds: readonly string[]): Promise<void> {
    for (let i = 0; i < fileIds.length; i += 8) {
      await Promise.all(fileIds.slice(i, i + 8).map((id) => this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.key(id) }))));
    }
  }
}
