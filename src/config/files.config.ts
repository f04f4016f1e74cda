import { byteSize, ConfigError } from './app.config';

export type FileStorageKind = 'postgres' | 's3';
export type FileReferenceMode = 'strict' | 'any';

export interface S3Config {
  bucket: string;
  /** An S3-compatible endpoint (http(s)://host:port); AWS's own when undefined. */
  endpoint?: string;
  region: string;
  /** Both or neither: the SDK's default credential chain when undefined. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Path-style URLs (http://host/bucket/key), as most S3-compatible servers need; on by default with an endpoint. */
  forcePathStyle: boolean;
  /** Prepended to every object key (`files/`). */
  prefix: string;
}

export interface FilesConfig {
  storage: FileStorageKind;
  maxBytes: number;
  references: FileReferenceMode;
  s3?: S3Config;
}

export const DEFAULT_FILE_MAX_BYTES = 512 * 1024 * 1024;

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.trim().toLowerCase() as T;
  if (!values.includes(value)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got '${raw}'`);
  return value;
}

function s3Config(env: NodeJS.ProcessEnv): S3Config {
  const bucket = env.S3_BUCKET ?? '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`S3_BUCKET must be a bucket name (3 to 63 lowercase letters, digits, dots and hyphens) when FILE_STORAGE=s3, got '${bucket}'`);
  }
  let endpoint: string | undefined;
  if (env.S3_ENDPOINT) {
    let url: URL;
    try {
      url = new URL(env.S3_ENDPOINT);
    } catch {
      throw new ConfigError(`S3_ENDPOINT must be a URL such as http://127.0.0.1:9000, got '${env.S3_ENDPOINT}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`S3_ENDPOINT must use http:// or https://, got '${url.protocol}'`);
    endpoint = env.S3_ENDPOINT;
  }
  const accessKeyId = env.S3_ACCESS_KEY_ID ?? '';
  const secretAccessKey = env.S3_SECRET_ACCESS_KEY ?? '';
  if ((accessKeyId === '') !== (secretAccessKey === '')) throw new ConfigError('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together');
  const pathStyle = env.S3_FORCE_PATH_STYLE;
  if (pathStyle !== undefined && pathStyle !== '' && !/^(true|false|1|0)$/i.test(pathStyle)) {
    throw new ConfigError(`S3_FORCE_PATH_STYLE must be true or false, got '${pathStyle}'`);
  }
  return {
    bucket,
    endpoint,
    region: env.S3_REGION || 'us-east-1',
    credentials: accessKeyId ? { accessKeyId, secretAccessKey } : undefined,
    forcePathStyle: pathStyle ? /^(true|1)$/i.test(pathStyle) : endpoint !== undefined,
    prefix: env.S3_PREFIX ?? '',
  };
}

/** The Files API's settings (README, Files API), validated at start-up. */
export function loadFilesConfig(env: NodeJS.ProcessEnv = process.env): FilesConfig {
  const storage = oneOf<FileStorageKind>(env, 'FILE_STORAGE', ['postgres', 's3'], 'postgres');
  return {
    storage,
    maxBytes: byteSize(env, 'FILE_MAX_BYTES', DEFAULT_FILE_MAX_BYTES),
    references: oneOf<FileReferenceMode>(env, 'FILE_REFERENCES', ['strict', 'any'], 'strict'),
    s3: storage === 's3' ? s3Config(env) : undefined,
  };
}
