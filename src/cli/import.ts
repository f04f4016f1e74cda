import 'reflect-metadata';
import { AZURE_API_VERSIONS } from '../common/api-version/supported-versions';
import { loadFilesConfig } from '../config/files.config';
import { Queryable } from '../database/sql';
import { FilesRepository } from '../files/files.repository';
import { storageFor } from '../files/storage/storage-for';
import { TransferRepository } from '../threads/transfer.repository';
import { failedWith, integerOption, Output, parseOptions, runAsMain, tenantOption, threadIdsIn, UsageError, withDatabase } from './cli-support';
import { Endpoint, importFromEndpoint } from './import-endpoint';
import { anyFailed, describeSummary, FILE_WORDING, FileStore, importFile } from './import-file';
import { Progress } from './progress';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** The newest api-version this service knows, all v2: an Azure endpoint is read in the v2 shape unless told otherwise. */
const AZURE_DEFAULT_API_VERSION =
  [...AZURE_API_VERSIONS]
    .filter(([, shape]) => shape === 'v2')
    .map(([version]) => version)
    .at(-1) ?? '';

const USAGE = `Usage:
  npm run import -- --tenant NAME --in FILE.jsonl
  npm run import -- --tenant NAME --from-endpoint URL --dialect openai|azure [--api-version V] --key KEY
                    [--threads FILE] [--concurrency N] [--retries N]

--in: reads a file of npm run export (JSON Lines: files, then each thread followed by its messages) into
the tenant, ids, times, order, metadata, attachments and files' bytes as they are; files are stored where
FILE_STORAGE says (postgres, or s3 with the S3_ variables), as the service does. Streams the file:
memory stays flat whatever its size.

--from-endpoint: reads the threads and all their messages from an endpoint that speaks the Assistants
API, through the official openai SDK, and imports them the same way, with the files they name (read
through GET /files/{id} and its content; a file the source does not have is left out).
  --dialect openai   URL is the base URL: https://api.openai.com/v1, or http://HOST:PORT/v1 of this service
  --dialect azure    URL is the resource's endpoint: https://NAME.openai.azure.com, or http://HOST:PORT of
                     this service; --api-version (default ${AZURE_DEFAULT_API_VERSION}) must be a v2 one
                     (2024-05-01-preview or later)
  --key KEY          an API key of the endpoint (sent as Authorization: Bearer, or api-key for azure)
  --threads FILE     the ids of the threads to import, one a line; without it, the threads are listed
                     through GET /threads, which this service answers but the OpenAI and Azure OpenAI
                     APIs do not
  --concurrency N    threads read at a time (default 4, 1 to 64)
  --retries N        retries of a request answered 408, 409, 429 or 5xx or lost on the network, with
                     exponential backoff or the wait Retry-After asks for (default 5, 0 to 20)
Progress goes to stderr (a bar on a terminal), the summary to stdout.

Each thread is written in one transaction (all of it or none), each file with all its bytes (whole or
not at all; its byte count and SHA-256 checked). A thread or file the tenant already has is verified
against the source and skipped, so a re-run after an interruption completes the rest. Expired files
are not imported. Exit codes: 0 done, 1 a thread or file failed (each named with its reason) or
another failure, 2 bad arguments.`;

const ENDPOINT_OPTIONS = ['dialect', 'api-version', 'key', 'threads', 'concurrency', 'retries'];

interface EndpointOptions {
  endpoint: Endpoint;
  threadsFile?: string;
  concurrency: number;
}

function endpointOptions(values: Record<string, string | true>): EndpointOptions {
  const url = values['from-endpoint'] as string;
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new UsageError(`--from-endpoint takes an http or https URL, not '${url.slice(0, 200)}'`);
  const dialect = values.dialect;
  if (dialect !== 'openai' && dialect !== 'azure')
    throw new UsageError(`--dialect openai|azure is required${typeof dialect === 'string' ? ` ('${dialect.slice(0, 80)}' is neither)` : ''}`);
  const key = values.key;
  if (typeof key !== 'string' || key === '') throw new UsageError('--key KEY is required: an API key of the endpoint');
  let apiVersion: string | undefined;
  if (dialect === 'openai') {
    if (values['api-version'] !== undefined) throw new UsageError('--api-version goes with --dialect azure');
  } else {
    apiVersion = typeof values['api-version'] === 'string' ? values['api-version'] : AZURE_DEFAULT_API_VERSION;
    if (AZURE_API_VERSIONS.get(apiVersion) === 'v1')
      throw new UsageError(
        `--api-version ${apiVersion} shows messages in the v1 shape (file_ids instead of attachments, no status, ` +
          'threads without tool resources), which cannot be imported as they are: give 2024-05-01-preview or later',
      );
  }
  return {
    endpoint: { url, dialect, apiVersion, key, retries: integerOption(values, 'retries', 0, 20, 5) },
    threadsFile: typeof values.threads === 'string' ? values.threads : undefined,
    concurrency: integerOption(values, 'concurrency', 1, 64, 4),
  };
}

/** Each id once, in the file's order. */
async function listedIds(file: string): Promise<string[]> {
  const ids = new Set<string>();
  for await (const id of threadIdsIn(file)) ids.add(id);
  return [...ids];
}

interface ImportTarget {
  transfer: TransferRepository;
  transaction: <T>(work: (tx: Queryable) => Promise<T>) => Promise<T>;
  files: FileStore;
}

/** Runs an import on the database, then gathers the statistics of what it imported (as autovacuum would, later). */
async function importing<T extends { threads: number }>(
  env: NodeJS.ProcessEnv,
  io: Output,
  work: (target: ImportTarget) => Promise<T>,
  connections?: number,
): Promise<T> {
  const filesConfig = loadFilesConfig(env);
  return withDatabase(
    env,
    io,
    async (sql) => {
      const repo = new FilesRepository(sql);
      const transfer = new TransferRepository(sql);
      const summary = await work({ transfer, transaction: (run) => sql.transaction(run), files: { repo, storage: storageFor(filesConfig, repo) } });
      if (summary.threads > 0) await transfer.analyse();
      return summary;
    },
    connections,
  );
}

export async function runImportCommand(argv: string[], io: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv[0] === '--help' || argv[0] === 'help') {
    io.out(USAGE);
    return EXIT.ok;
  }
  try {
    const values = parseOptions(argv, ['tenant', 'in', 'from-endpoint', ...ENDPOINT_OPTIONS]);
    const tenant = tenantOption(values);
    if (typeof values.in === 'string' && values['from-endpoint'] !== undefined)
      throw new UsageError('--in and --from-endpoint exclude each other: import a file or an endpoint');
    if (typeof values.in === 'string') {
      const misplaced = ENDPOINT_OPTIONS.find((name) => values[name] !== undefined);
      if (misplaced) throw new UsageError(`--${misplaced} goes with --from-endpoint`);
      const file = values.in;
      const summary = await importing(env, io, ({ transfer, transaction, files }) =>
        importFile(transfer, transaction, tenant, file, (text) => io.err(text), FILE_WORDING, files),
      );
      for (const line of describeSummary(summary)) io.out(line);
      return anyFailed(summary) ? EXIT.failure : EXIT.ok;
    }
    if (typeof values['from-endpoint'] !== 'string') throw new UsageError('--in FILE.jsonl or --from-endpoint URL is required');
    const options = endpointOptions(values);
    const threadIds = options.threadsFile !== undefined ? await listedIds(options.threadsFile) : undefined;
    const summary = await importing(
      env,
      io,
      ({ transfer, transaction, files }) =>
        importFromEndpoint(transfer, transaction, tenant, { endpoint: options.endpoint, threadIds, concurrency: options.concurrency, files }, new Progress(io)),
      // A connection more: a file already there is read back (to compare its bytes) while its transaction is open.
      options.concurrency + 1,
    );
    for (const line of describeSummary(summary)) io.out(line);
    if (summary.stopped !== undefined) io.err(`Error: stopped before the end: ${summary.stopped}`);
    return anyFailed(summary) || summary.stopped !== undefined ? EXIT.failure : EXIT.ok;
  } catch (error) {
    return failedWith(error, USAGE, io);
  }
}

if (require.main === module) runAsMain(runImportCommand);
