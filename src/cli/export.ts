import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { createWriteStream, WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { loadFilesConfig } from '../config/files.config';
import { FileRecord } from '../files/file.entity';
import { FilesRepository } from '../files/files.repository';
import { FileStorage } from '../files/storage/file-storage';
import { storageFor } from '../files/storage/storage-for';
import { ThreadRecord } from '../threads/threads.repository';
import { TransferRepository } from '../threads/transfer.repository';
import { failedWith, Output, parseOptions, runAsMain, tenantOption, threadIdsIn, UsageError, withDatabase } from './cli-support';
import { FILE_CHUNK_BYTES, fileChunkLine, fileEndLine, fileLine, headerLine, messageLine, threadEndLine, threadLine } from './transfer-format';

export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3 } as const;

const USAGE = `Usage:
  npm run export -- --tenant NAME [--threads FILE] --out FILE.jsonl

Writes the tenant's files (their bytes in base64 lines of 256 KiB, read from the storage FILE_STORAGE
names), then its threads, each followed by its messages in their order, as JSON Lines (the format is
described in the README). Expired files are left out. --threads FILE: only the thread ids listed in
FILE, one a line, each preceded by the files it or its messages name that are not written yet.
Reads page by page and streams the bytes, so memory stays flat whatever the size.
Exit codes: 0 done, 1 failure, 2 bad arguments, 3 a listed thread is not the tenant's (the others
are written).`;

const PAGE = 500;

async function write(out: WriteStream, line: unknown): Promise<void> {
  if (!out.write(JSON.stringify(line) + '\n')) await once(out, 'drain');
}

async function* allThreads(repo: TransferRepository, tenant: string): AsyncGenerator<ThreadRecord> {
  let from = { createdAt: -1, id: '' };
  for (;;) {
    const page = await repo.threadsFrom(tenant, from, PAGE);
    yield* page;
    if (page.length < PAGE) return;
    const last = page[page.length - 1];
    from = { createdAt: last.createdAt, id: last.id };
  }
}

/** A file's line, its bytes as chunk lines of FILE_CHUNK_BYTES streamed from storage, and its end line with their SHA-256. */
async function writeFile(out: WriteStream, storage: FileStorage, file: FileRecord): Promise<void> {
  await write(out, fileLine(file));
  const hash = createHash('sha256');
  let offset = 0;
  let pending: Buffer[] = [];
  let held = 0;
  const flush = async (all: boolean) => {
    let joined = pending.length === 1 ? pending[0] : Buffer.concat(pending);
    while (joined.length >= FILE_CHUNK_BYTES || (all && joined.length > 0)) {
      const chunk = joined.subarray(0, FILE_CHUNK_BYTES);
      await write(out, fileChunkLine(file.id, offset, chunk));
      offset += chunk.length;
      joined = joined.subarray(chunk.length);
    }
    pending = joined.length > 0 ? [joined] : [];
    held = joined.length;
  };
  for await (const piece of storage.read(file.id, file.bytes) as AsyncIterable<Buffer>) {
    hash.update(piece);
    pending.push(piece);
    held += piece.length;
    if (held >= FILE_CHUNK_BYTES) await flush(false);
  }
  await flush(true);
  if (offset !== file.bytes) throw new Error(`file ${file.id}: the storage holds ${offset} bytes, its row says ${file.bytes}`);
  await write(out, fileEndLine(file.id, hash.digest('hex')));
}

async function* allFiles(repo: FilesRepository, tenant: string): AsyncGenerator<FileRecord> {
  for (let afterSeq = 0; ;) {
    const page = await repo.exportFrom(tenant, afterSeq, PAGE);
    for (const { seq, ...file } of page) {
      void seq;
      yield file;
    }
    if (page.length < PAGE) return;
    afterSeq = page[page.length - 1].seq;
  }
}

export async function runExportCommand(argv: string[], io: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv[0] === '--help' || argv[0] === 'help') {
    io.out(USAGE);
    return EXIT.ok;
  }
  try {
    const values = parseOptions(argv, ['tenant', 'threads', 'out']);
    const tenant = tenantOption(values);
    if (typeof values.out !== 'string') throw new UsageError('--out FILE.jsonl is required');
    const outFile = values.out;
    const threadsFile = typeof values.threads === 'string' ? values.threads : undefined;
    const filesConfig = loadFilesConfig(env);
    return await withDatabase(env, io, async (sql) => {
      const repo = new TransferRepository(sql);
      const filesRepo = new FilesRepository(sql);
      const storage = storageFor(filesConfig, filesRepo);
      // Written beside its name and renamed once whole: an export that fails leaves no file that looks complete.
      const partial = `${outFile}.partial`;
      const out = createWriteStream(partial);
      await once(out, 'open');
      const missing: string[] = [];
      let threads = 0;
      let messages = 0;
      const written = new Set<string>();
      let bytes = 0;
      const exportFile = async (file: FileRecord) => {
        await writeFile(out, storage, file);
        written.add(file.id);
        bytes += file.bytes;
      };
      let done = false;
      try {
        await write(out, headerLine());
        if (!threadsFile) for await (const file of allFiles(filesRepo, tenant)) await exportFile(file);
        const listed = new Set<string>();
        const source = threadsFile
          ? (async function* () {
              for await (const id of threadIdsIn(threadsFile)) {
                // A thread listed twice is written once.
                if (listed.has(id)) continue;
                listed.add(id);
                const thread = await repo.find(tenant, id);
                if (thread) yield thread;
                else missing.push(id);
              }
            })()
          : allThreads(repo, tenant);
        for await (const thread of source) {
          // The files of chosen threads come with them, each once, before the first thread that names it.
          if (threadsFile) for (const file of await repo.referencedFiles(tenant, thread.id)) if (!written.has(file.id)) await exportFile(file);
          await write(out, threadLine(thread));
          threads++;
          let afterSeq = 0;
          let count = 0;
          for (;;) {
            const page = await repo.messagesFrom(thread.id, afterSeq, PAGE);
            for (const message of page) await write(out, messageLine(message));
            count += page.length;
            if (page.length < PAGE) break;
            afterSeq = page[page.length - 1].seq;
          }
          await write(out, threadEndLine(thread.id, count));
          messages += count;
        }
        done = true;
      } finally {
        out.end();
        await once(out, 'close');
        if (done) await rename(partial, outFile);
        else await rm(partial, { force: true });
      }
      io.out(`Exported ${written.size} file(s) (${bytes} bytes), ${threads} thread(s) and ${messages} message(s) of tenant '${tenant}' to ${outFile}.`);
      if (missing.length > 0) {
        io.err(`Not found for tenant '${tenant}': ${missing.join(', ')}`);
        return EXIT.notFound;
      }
      return EXIT.ok;
    });
  } catch (error) {
    return failedWith(error, USAGE, io);
  }
}

if (require.main === module) runAsMain(runExportCommand);
