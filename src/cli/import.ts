import 'reflect-metadata';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { isDeepStrictEqual } from 'node:util';
import { Queryable } from '../database/sql';
import { MessageRecord } from '../messages/message.entity';
import { ThreadRecord } from '../threads/threads.repository';
import { TransferRepository } from '../threads/transfer.repository';
import { failedWith, Output, parseOptions, runAsMain, tenantOption, UsageError, withDatabase } from './cli-support';
import { LineError, parseLine } from './transfer-format';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const USAGE = `Usage:
  npm run import -- --tenant NAME --in FILE.jsonl

Reads a file of npm run export (JSON Lines: a thread, then its messages) into the tenant, ids, times,
order, metadata and attachments as they are. Each thread is written in one transaction (all of it or
none). A thread the tenant already has is verified against the file and skipped, so a re-run after an
interruption completes the rest. Streams the file: memory stays flat whatever its size.
Exit codes: 0 done, 1 a thread failed (each named with its reason) or another failure, 2 bad arguments.`;

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
): Promise<{ state: 'inserted' | 'verified'; messages: number }> {
  const state = await repo.insertThread(tenant, thread, tx);
  if (state === 'taken') throw new ThreadFailure('the id belongs to another tenant');
  if (state === 'exists' && !sameThread(await repo.find(tenant, thread.id), thread)) throw new ThreadFailure('already imported with other values');
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
      if (differing) throw new ThreadFailure(`already imported, and message ${differing.id} differs from the file`);
    }
    batch = [];
  };
  for (;;) {
    const next = await lines.peek();
    if (next === null || next.kind === 'thread') break;
    await lines.next();
    if (next.kind === 'bad') throw new ThreadFailure(`line ${next.line}: ${next.reason}`);
    if (next.message.threadId !== thread.id)
      throw new ThreadFailure(`line ${next.line}: a message of ${next.message.threadId} among the messages of ${thread.id}`);
    batch.push(next.message);
    count++;
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  if (state === 'exists') {
    const stored = await repo.countMessages(thread.id, tx);
    if (stored !== count) throw new ThreadFailure(`already imported with ${stored} message(s), the file has ${count}`);
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
): Promise<ImportSummary> {
  const summary: ImportSummary = { threads: 0, messages: 0, skipped: 0, failed: [] };
  const lines = new Lines(file);
  for (let next = await lines.next(); next !== null; next = await lines.next()) {
    if (next.kind !== 'thread') {
      summary.failed.push({
        thread: next.kind === 'message' ? next.message.threadId : '-',
        reason: `line ${next.line}: ${next.kind === 'bad' ? next.reason : 'a message before its thread'}`,
      });
      await skipMessages(lines);
      continue;
    }
    const thread = next.thread;
    try {
      const result = await transaction((tx) => importThread(repo, tx, tenant, thread, lines));
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

export async function runImportCommand(argv: string[], io: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv[0] === '--help' || argv[0] === 'help') {
    io.out(USAGE);
    return EXIT.ok;
  }
  try {
    const values = parseOptions(argv, ['tenant', 'in']);
    const tenant = tenantOption(values);
    if (typeof values.in !== 'string') throw new UsageError('--in FILE.jsonl is required');
    const file = values.in;
    const summary = await withDatabase(env, io, (sql) =>
      importFile(
        new TransferRepository(sql),
        (work) => sql.transaction(work),
        tenant,
        file,
        (text) => io.err(text),
      ),
    );
    for (const line of describeSummary(summary)) io.out(line);
    return summary.failed.length > 0 ? EXIT.failure : EXIT.ok;
  } catch (error) {
    return failedWith(error, USAGE, io);
  }
}

if (require.main === module) runAsMain(runImportCommand);
