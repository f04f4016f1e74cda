import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { isDeepStrictEqual } from 'node:util';
import { Queryable } from '../database/sql';
import { MessageRecord } from '../messages/message.entity';
import { ThreadRecord } from '../threads/threads.repository';
import { TransferRepository } from '../threads/transfer.repository';
import { LineError, parseLine } from './transfer-format';

/**
 * The import path of a file in the export format (a thread, then its messages): each thread in one
 * transaction, a thread already there verified against the file and skipped. An import from an
 * endpoint writes each thread it reads to a file of this format, and imports it through here.
 */

const BATCH = 500;

type Parsed = { line: number } & ({ kind: 'thread'; thread: ThreadRecord } | { kind: 'message'; message: MessageRecord } | { kind: 'bad'; reason: string });

/** The file's lines, parsed, with a one-line look-ahead. */
class Lines {
  private readonly source: AsyncIterator<string>;
  private number = 0;
  private peeked: Parsed | null | undefined;

  constructor(file: string) {
    this.source = createInterface({ input: createReadStream(file), crlfDelay: Infinity })[Symbol.asyncIterator]();
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
        return (this.peeked = { line: this.number, kind: 'bad', reason: error.message });
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

/** How a thread's failure names where the data came from: the source, and a place in it (from a line number). */
export interface Wording {
  source: string;
  at(line: number): string;
}

export const FILE_WORDING: Wording = { source: 'the file', at: (line) => `line ${line}` };

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
}

/** Imports one thread and its message lines (consumed from `lines`), in one transaction. */
async function importThread(
  repo: TransferRepository,
  tx: Queryable,
  tenant: string,
  thread: ThreadRecord,
  lines: Lines,
  wording: Wording,
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
  for (;;) {
    const next = await lines.peek();
    if (next === null || next.kind === 'thread') break;
    await lines.next();
    if (next.kind === 'bad') throw new ThreadFailure(`${wording.at(next.line)}: ${next.reason}`);
    if (next.message.threadId !== thread.id)
      throw new ThreadFailure(`${wording.at(next.line)}: a message of ${next.message.threadId} among the messages of ${thread.id}`);
    batch.push(next.message);
    count++;
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  if (state === 'exists') {
    const stored = await repo.countMessages(thread.id, tx);
    if (stored !== count) throw new ThreadFailure(`already imported with ${stored} message(s), ${wording.source} has ${count}`);
  }
  return { state: state === 'inserted' ? 'inserted' : 'verified', messages: count };
}

/** Skips the message lines of a thread that failed (its transaction was rolled back). */
async function skipMessages(lines: Lines): Promise<void> {
  for (let next = await lines.peek(); next !== null && next.kind !== 'thread'; next = await lines.peek()) await lines.next();
}

export async function importFile(
  repo: TransferRepository,
  transaction: <T>(work: (tx: Queryable) => Promise<T>) => Promise<T>,
  tenant: string,
  file: string,
  progress: (text: string) => void,
  wording: Wording = FILE_WORDING,
): Promise<ImportSummary> {
  const summary: ImportSummary = { threads: 0, messages: 0, skipped: 0, failed: [] };
  const lines = new Lines(file);
  for (let next = await lines.next(); next !== null; next = await lines.next()) {
    if (next.kind !== 'thread') {
      summary.failed.push({
        thread: next.kind === 'message' ? next.message.threadId : '-',
        reason: `${wording.at(next.line)}: ${next.kind === 'bad' ? next.reason : 'a message before its thread'}`,
      });
      await skipMessages(lines);
      continue;
    }
    const thread = next.thread;
    try {
      const result = await transaction((tx) => importThread(repo, tx, tenant, thread, lines, wording));
      if (result.state === 'inserted') {
        summary.threads++;
        summary.messages += result.messages;
      } else summary.skipped++;
      progress(`${result.state === 'inserted' ? 'imported' : 'verified, skipped'} ${thread.id} (${result.messages} message(s))`);
    } catch (error) {
      if (!(error instanceof ThreadFailure) && !(error instanceof Error && 'code' in error)) throw error;
      summary.failed.push({ thread: thread.id, reason: error.message });
      progress(`failed ${thread.id}: ${error.message}`);
      await skipMessages(lines);
    }
  }
  return summary;
}

export function describeSummary(summary: ImportSummary): string[] {
  const lines = [
    `Imported ${summary.threads} thread(s) with ${summary.messages} message(s); ` +
      `${summary.skipped} already there (verified, skipped); ${summary.failed.length} failed.`,
  ];
  for (const failure of summary.failed) lines.push(`  failed ${failure.thread}: ${failure.reason}`);
  return lines;
}
