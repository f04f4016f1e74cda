import 'reflect-metadata';
import { createWriteStream, WriteStream } from 'node:fs';
import { once } from 'node:events';
import { ThreadRecord } from '../threads/threads.repository';
import { TransferRepository } from '../threads/transfer.repository';
import { failedWith, Output, parseOptions, runAsMain, tenantOption, threadIdsIn, UsageError, withDatabase } from './cli-support';
import { messageLine, threadLine } from './transfer-format';

export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3 } as const;

const USAGE = `Usage:
  npm run export -- --tenant NAME [--threads FILE] --out FILE.jsonl

Writes the tenant's threads, each followed by its messages in their order, as JSON Lines (the format
is described in the README). --threads FILE: only the thread ids listed in FILE, one a line.
Reads page by page, so memory stays flat whatever the size. Exit codes: 0 done, 1 failure,
2 bad arguments, 3 a listed thread is not the tenant's (the others are written).`;

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
    return await withDatabase(env, io, async (sql) => {
      const repo = new TransferRepository(sql);
      const out = createWriteStream(outFile);
      const missing: string[] = [];
      let threads = 0;
      let messages = 0;
      try {
        const source = threadsFile
          ? (async function* () {
              for await (const id of threadIdsIn(threadsFile)) {
                const thread = await repo.find(tenant, id);
                if (thread) yield thread;
                else missing.push(id);
              }
            })()
          : allThreads(repo, tenant);
        for await (const thread of source) {
          await write(out, threadLine(thread));
          threads++;
          let afterSeq = 0;
          for (;;) {
            const page = await repo.messagesFrom(thread.id, afterSeq, PAGE);
            for (const message of page) await write(out, messageLine(message));
            messages += page.length;
            if (page.length < PAGE) break;
            afterSeq = page[page.length - 1].seq;
          }
        }
      } finally {
        out.end();
        await once(out, 'close');
      }
      io.out(`Exported ${threads} thread(s) and ${messages} message(s) of tenant '${tenant}' to ${outFile}.`);
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
