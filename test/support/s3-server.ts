import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Config } from '../../src/config/files.config';

/** The part of s3rver's API the tests use (it ships no types). */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer: Server;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as S3rverConstructor;

export const S3_TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3Server {
  /** Settings for FILE_STORAGE=s3 against this server. */
  config: S3Config;
  /** A client of the same bucket, to see what the service left there. */
  client: S3Client;
  /** The keys of every object in the bucket. */
  keys(): Promise<string[]>;
  /** Resolves when the server has answered a request that `matches` (an UploadPart, say). */
  answered(matches: (request: IncomingMessage) => boolean): Promise<void>;
  close(): Promise<void>;
}

/** s3rver (an S3-compatible server speaking the S3 protocol over HTTP) on loopback: a free port, a temporary directory, one bucket. */
export async function startS3Server(bucket = 'assistants-files', prefix = 'files/'): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const config: S3Config = {
    bucket,
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: S3_TEST_CREDENTIALS,
    forcePathStyle: true,
    prefix,
  };
  const client = new S3Client({ region: config.region, endpoint: config.endpoint, forcePathStyle: true, credentials: S3_TEST_CREDENTIALS });
  return {
    config,
    client,
    async keys() {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (listed.Contents ?? []).map((object) => object.Key as string);
    },
    answered(matches) {
      return new Promise((resolve) => {
        const onRequest = (request: IncomingMessage, response: ServerResponse) => {
          if (!matches(request)) return;
          response.once('finish', () => {
            server.httpServer.off('request', onRequest);
            resolve();
          });
        };
        server.httpServer.on('request', onRequest);
      });
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
