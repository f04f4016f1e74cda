import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { Queryable } from '../database/sql';
import { FileRecord } from '../files/file.entity';
import { FilesRepository } from '../files/files.repository';
import { FileStorage } from '../files/storage/file-storage';
import { MessageRecord } from '../messages/message.entity';
import { ThreadRecord } from '../threads/threads.repository';
import { TransferRepository } from '../threads/transfer.repository';
import { linesOf } from './cli-support';
import { LineError, parseLine, ParsedLine } from './transfer-format';

/**
 * The import path of a file in the export format (files, then threads each followed by its
 * messages): each thread in one transaction, each file in one transaction with its bytes, a thread
 * or file already there verified against the file and skipped. An import from an endpoint writes
 * each thread it reads to a file of this format, and imports it through here.
 */

const BATCH = 500;

/**
 * A line that cannot be imported: why, and what it was meant as when it says so (`object`), with the
 * file it names if it is one of a file's lines, for the summary.
 */
type BadLine = { kind: 'bad'; reason: string; object?: unknown; fileId?: string };
type Parsed = { line: number } & (ParsedLine | BadLine);

function badLine(reason: string, text: string): BadLine {
  try {
    const value = JSON.parse(text) as { object?: unknown; id?: unknown; file_id?: unknown };
    const named = (id: unknown) => (typeof id === 'string' ? id : '-');
    if (value.object === 'file') return { kind: 'bad', reason, object: value.object, fileId: named(value.id) };
    if (value.object === 'file_chunk' || value.object === 'file_end') return { kind: 'bad', reason, object: value.object, fileId: named(value.file_id) };
    return { kind: 'bad', reason, object: value?.object };
  } catch {
    // Not JSON: nothing says what it was meant as.
    return { kind: 'bad', reason };
  }
}

/** The file's lines, parsed, with a one-line look-ahead. */
class Lines {
  private readonly source: AsyncIterator<string>;
  private number = 0;
  private peeked: Parsed | null | undefined;

  constructor(file: string) {
    this.source = linesOf(file);
  }

  async peek(): Promise<Parsed | null> {
    if (this.peeked !== undefined) return this.peeked;
    for (;;) {
      const next = await this.source.next();
      if (next.done) return (this.peeked = null);
      this.number++;
      if (next.value.trim() === '') continue;
      try {
        return (this.peeked = { line: this.number, ...parseLine(next.value) });
      } catch (error) {
        if (!(error instanceof LineError)) throw error;
        return (this.peeked = { line: this.number, ...badLine(error.message, next.value) });
      }
    }
  }

  async next(): Promise<Parsed | null> {
    const line = await this.peek();
    this.peeked = undefined;
    return line;
  }
}

class ThreadFailure extends Error {}
class FileFailure extends Error {}

/** Where imported files go: their rows, and the storage the configuration chooses for their bytes. */
export interface FileStore {
  repo: FilesRepository;
  storage: FileStorage;
}

/** How a thread's failure names where the data came from: the source, and a place in it (from a line number). */
export interface Wording {
  source: string;
  at(line: number): string;
}

export const FILE_WORDING: Wording = { source: 'the file', at: (line) => `line ${line}` };

/** Where a file or thread was cut short, without its end line: `cut short: line 12 comes after ...`. */
const cutShort = (next: Parsed | null, wording: Wording, after: string, end: string): string =>
  `cut short: ${next === null ? `${wording.source} ends` : `${wording.at(next.line)} comes`} after ${after}, without its ${end} line`;

/** The stored thread and messages against the file's: a re-run verifies, and then skips. */
function sameThread(stored: ThreadRecord | undefined, given: ThreadRecord): boolean {
  return (
    stored !== undefined &&
    stored.createdAt === given.createdAt &&
    isDeepStrictEqual(stored.metadata, given.metadata) &&
    isDeepStrictEqual(stored.toolResources, given.toolResources)
  );
}

export interface ImportSummary {
  threads: number;
  messages: number;
  skipped: number;
  failed: { thread: string; reason: string }[];
  files: FilesSummary;
}

export interface FilesSummary {
  imported: number;
  bytes: number;
  /** Already there, verified. */
  skipped: number;
  /** Expired by the time of the import: not stored. */
  expired: number;
  failed: { file: string; reason: string }[];
}

export const emptySummary = (): ImportSummary => ({
  threads: 0,
  messages: 0,
  skipped: 0,
  failed: [],
  files: { imported: 0, bytes: 0, skipped: 0, expired: 0, failed: [] },
});

/** A file's chunk lines, read in order up to its end line: checked (offsets, count, SHA-256) as they pass. */
class FileBytes {
  private readonly hash = createHash('sha256');
  private total = 0;
  /** Why the lines are not the file's bytes, once known: a storage that fails on the source's error may report its own. */
  problem?: string;
  sha256?: string;

  constructor(
    private readonly lines: Lines,
    private readonly file: FileRecord,
    private readonly wording: Wording,
  ) {}

  private fail(reason: string): never {
    this.problem = reason;
    throw new FileFailure(reason);
  }

  async *chunks(): AsyncGenerator<Buffer> {
    const { file, wording } = this;
    for (;;) {
      const next = await this.lines.peek();
      if (next === null || (next.kind !== 'file_chunk' && next.kind !== 'file_end' && next.kind !== 'bad'))
        this.fail(cutShort(next, wording, `${this.total} of its ${file.bytes} bytes`, 'file_end'));
      await this.lines.next();
      const at = wording.at(next.line);
      if (next.kind === 'bad') this.fail(`${at}: ${next.reason}`);
      if (next.fileId !== file.id) this.fail(`${at}: a ${next.kind} line of ${next.fileId} among the lines of ${file.id}`);
      if (next.kind === 'file_end') {
        if (this.total !== file.bytes) this.fail(`${at}: the file ends after ${this.total} of its ${file.bytes} bytes`);
        const digest = this.hash.digest('hex');
        if (digest !== next.sha256) this.fail(`${at}: the bytes' SHA-256 is ${digest}, the file_end line says ${next.sha256}`);
        this.sha256 = digest;
        return;
      }
      if (next.offset !== this.total) this.fail(`${at}: a chunk at offset ${next.offset}, where ${this.total} was due`);
      this.total += next.data.length;
      if (this.total > file.bytes) this.fail(`${at}: more bytes than the ${file.bytes} of its file line`);
      this.hash.update(next.data);
      yield next.data;
    }
  }

  async drain(): Promise<void> {
    for await (const chunk of this.chunks()) void chunk;
  }
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * Imports one file and its chunk lines (consumed from `lines`): its row and its bytes in one
 * transaction, so that it is there whole or not at all; bytes stored outside the database are
 * removed when the transaction does not commit. A file already there is verified (fields and bytes).
 */
async function importOneFile(
  store: FileStore,
  transaction: <T>(work: (tx: Queryable) => Promise<T>) => Promise<T>,
  tenant: string,
  file: FileRecord,
  lines: Lines,
  wording: Wording,
): Promise<'inserted' | 'verified'> {
  let inserted = false;
  try {
    return await transaction(async (tx) => {
      const state = await store.repo.insertAsGiven(tenant, file, tx);
      if (state === 'taken') throw new FileFailure('the id belongs to another tenant');
      const bytes = new FileBytes(lines, file, wording);
      if (state === 'exists') {
        if (!isDeepStrictEqual(await store.repo.findStored(tenant, file.id, tx), file)) throw new FileFailure('already imported with other values');
        const stored = await sha256Of(store.storage.read(file.id, file.bytes));
        await bytes.drain();
        if (stored !== bytes.sha256) throw new FileFailure(`already imported, and its bytes differ from ${wording.source}`);
        return 'verified';
      }
      inserted = true;
      let written: number;
      const chunks = bytes.chunks();
      try {
        written = await store.storage.write(file.id, Readable.from(chunks), tx);
      } catch (error) {
        // The stream reads ahead: a storage that failed on its own may leave a read of the next line under
        // way. Closed here (after that read), the chunks take no line from the skip that follows.
        await chunks.return(undefined);
        if (bytes.problem !== undefined) throw new FileFailure(bytes.problem);
        throw error;
      }
      if (bytes.sha256 === undefined || written !== file.bytes) throw new FileFailure(`${written} of its ${file.bytes} bytes stored`);
      return 'inserted';
    });
  } catch (error) {
    if (inserted) await store.storage.discard(file.id);
    throw error;
  }
}

/**
 * Skips what is left of a file that failed or is not imported: its chunk lines, its end line, lines
 * that cannot be read (but not a bad line that says it is a thread, a message or another kind).
 */
async function skipFileParts(lines: Lines): Promise<void> {
  const partOfFile = (line: Parsed) =>
    line.kind === 'file_chunk' || line.kind === 'file_end' || (line.kind === 'bad' && (line.object === undefined || line.fileId !== undefined));
  for (let next = await lines.peek(); next !== null && partOfFile(next); next = await lines.peek()) await lines.next();
}

/** A failure of one file or thread (its check, its SQL, its storage), not of the import: the import goes on. */
const failsOne = (error: unknown): error is Error =>
  error instanceof ThreadFailure || error instanceof FileFailure || (error instanceof Error && ('code' in error || '$metadata' in error));

/**
 * Imports one thread and its message lines (consumed from `lines`), in one transaction. `ends`: the
 * file closes each thread with a `thread_end` line, and a thread without one was cut short.
 */
async function importThread(
  repo: TransferRepository,
  tx: Queryable,
  tenant: string,
  thread: ThreadRecord,
  lines: Lines,
  wording: Wording,
  ends: boolean,
): Promise<{ state: 'inserted' | 'verified'; messages: number }> {
  const state = await repo.insertThread(tenant, thread, tx);
  if (state === 'taken') throw new ThreadFailure('the id belongs to another tenant');
  if (state === 'exists' && !sameThread(await repo.find(tenant, thread.id, tx), thread)) throw new ThreadFailure('already imported with other values');
  let count = 0;
  let batch: MessageRecord[] = [];
  const flush = async () => {
    if (state === 'inserted') await repo.insertMessages(tenant, thread.id, batch, tx);
    else {
      const stored = new Map(
        (
          await repo.messagesById(
            thread.id,
            batch.map((m) => m.id),
            tx,
          )
        ).map((m) => [m.id, m]),
      );
      const differing = batch.find((m) => !isDeepStrictEqual(stored.get(m.id), m));
      if (differing) throw new ThreadFailure(`already imported, and message ${differing.id} differs from ${wording.source}`);
    }
    batch = [];
  };
  let ended = false;
  for (;;) {
    const next = await lines.peek();
    if (next === null || next.kind === 'thread' || next.kind === 'file') break;
    await lines.next();
    if (next.kind === 'bad') throw new ThreadFailure(`${wording.at(next.line)}: ${next.reason}`);
    if (next.kind === 'thread_end') {
      if (next.threadId !== thread.id) throw new ThreadFailure(`${wording.at(next.line)}: the thread_end line of ${next.threadId} closes ${thread.id}`);
      if (next.messages !== count)
        throw new ThreadFailure(`${wording.at(next.line)}: its thread_end line counts ${next.messages} message(s), ${count} came before it`);
      ended = true;
      break;
    }
    if (next.kind !== 'message') throw new ThreadFailure(`${wording.at(next.line)}: a ${next.kind} line among the messages of ${thread.id}`);
    if (next.message.threadId !== thread.id)
      throw new ThreadFailure(`${wording.at(next.line)}: a message of ${next.message.threadId} among the messages of ${thread.id}`);
    batch.push(next.message);
    count++;
    if (batch.length >= BATCH) await flush();
  }
  if (ends && !ended) {
    const next = await lines.peek();
    throw new ThreadFailure(cutShort(next, wording, `${count} of its messages`, 'thread_end'));
  }
  await flush();
  if (state === 'exists') {
    const stored = await repo.countMessages(thread.id, tx);
    if (stored !== count) throw new ThreadFailure(`already imported with ${stored} message(s), ${wording.source} has ${count}`);
  }
  return { state: state === 'inserted' ? 'inserted' : 'verified', messages: count };
}

/** Skips the message lines of a thread that failed (its transaction was rolled back): up to the next thread or file. */
async function skipMessages(lines: Lines): Promise<void> {
  for (let next = await lines.peek(); next !== null && next.kind !== 'thread' && next.kind !== 'file'; next = await lines.peek()) await lines.next();
}

async function importListedFile(
  store: FileStore | undefined,
  transaction: <T>(work: (tx: Queryable) => Promise<T>) => Promise<T>,
  tenant: string,
  file: FileRecord,
  lines: Lines,
  wording: Wording,
  summary: ImportSummary,
  progress: (text: string) => void,
): Promise<void> {
  if (file.expiresAt !== null && file.expiresAt <= Math.floor(Date.now() / 1000)) {
    summary.files.expired++;
    progress(`expired, not imported: ${file.id}`);
    return skipFileParts(lines);
  }
  try {
    if (!store) throw new FileFailure(`files are not imported from ${wording.source}`);
    const state = await importOneFile(store, transaction, tenant, file, lines, wording);
    if (state === 'inserted') {
      summary.files.imported++;
      summary.files.bytes += file.bytes;
    } else summary.files.skipped++;
    progress(`${state === 'inserted' ? 'imported' : 'verified, skipped'} ${file.id} (${file.bytes} bytes)`);
  } catch (error) {
    if (!failsOne(error)) throw error;
    summary.files.failed.push({ file: file.id, reason: error.message });
    progress(`failed ${file.id}: ${error.message}`);
    await skipFileParts(lines);
  }
}

export async function importFile(
  repo: TransferRepository,
  transaction: <T>(work: (tx: Queryable) => Promise<T>) => Promise<T>,
  tenant: string,
  file: string,
  progress: (text: string) => void,
  wording: Wording = FILE_WORDING,
  files?: FileStore,
): Promise<ImportSummary> {
  const summary = emptySummary();
  const lines = new Lines(file);
  // A file that names its format on its first line closes each thread with a thread_end line.
  const first = await lines.peek();
  const ends = first?.kind === 'header';
  if (ends) await lines.next();
  for (let next = await lines.next(); next !== null; next = await lines.next()) {
    if (next.kind === 'file') {
      await importListedFile(files, transaction, tenant, next.file, lines, wording, summary, progress);
      continue;
    }
    if (next.kind === 'file_chunk' || next.kind === 'file_end') {
      summary.files.failed.push({ file: next.fileId, reason: `${wording.at(next.line)}: a ${next.kind} line without its file line` });
      await skipFileParts(lines);
      continue;
    }
    if (next.kind === 'bad' && next.fileId !== undefined) {
      summary.files.failed.push({ file: next.fileId, reason: `${wording.at(next.line)}: ${next.reason}` });
      await skipFileParts(lines);
      continue;
    }
    if (next.kind !== 'thread') {
      summary.failed.push({
        thread: next.kind === 'message' ? next.message.threadId : next.kind === 'thread_end' ? next.threadId : '-',
        reason: `${wording.at(next.line)}: ${strayLine(next)}`,
      });
      await skipMessages(lines);
      continue;
    }
    const thread = next.thread;
    try {
      const result = await transaction((tx) => importThread(repo, tx, tenant, thread, lines, wording, ends));
      if (result.state === 'inserted') {
        summary.threads++;
        summary.messages += result.messages;
      } else summary.skipped++;
      progress(`${result.state === 'inserted' ? 'imported' : 'verified, skipped'} ${thread.id} (${result.messages} message(s))`);
    } catch (error) {
      if (!failsOne(error)) throw error;
      summary.failed.push({ thread: thread.id, reason: error.message });
      progress(`failed ${thread.id}: ${error.message}`);
      await skipMessages(lines);
    }
  }
  return summary;
}

/** Why a line that no thread or file holds cannot be imported. */
function strayLine(line: Parsed): string {
  if (line.kind === 'bad') return line.reason;
  if (line.kind === 'message') return 'a message before its thread';
  if (line.kind === 'header') return 'the format line, which belongs first';
  return 'a thread_end line without its thread';
}

/** True when a thread or a file failed. */
export const anyFailed = (summary: ImportSummary): boolean => summary.failed.length > 0 || summary.files.failed.length > 0;

export function describeSummary(summary: ImportSummary): string[] {
  const lines: string[] = [];
  const files = summary.files;
  if (files.imported + files.skipped + files.expired + files.failed.length > 0)
    lines.push(
      `Imported ${files.imported} file(s) (${files.bytes} bytes); ${files.skipped} already there (verified, skipped); ` +
        `${files.expired} expired (not imported); ${files.failed.length} failed.`,
    );
  lines.push(
    `Imported ${summary.threads} thread(s) with ${summary.messages} message(s); ` +
      `${summary.skipped} already there (verified, skipped); ${summary.failed.length} failed.`,
  );
  for (const failure of files.failed) lines.push(`  failed ${failure.file}: ${failure.reason}`);
  for (const failure of summary.failed) lines.push(`  failed ${failure.thread}: ${failure.reason}`);
  return lines;
}
