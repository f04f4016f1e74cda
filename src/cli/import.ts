import 'reflect-metadata';
import { TransferRepository } from '../threads/transfer.repository';
import { failedWith, Output, parseOptions, runAsMain, tenantOption, UsageError, withDatabase } from './cli-support';
import { describeSummary, importFile } from './import-file';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const USAGE = `Usage:
  npm run import -- --tenant NAME --in FILE.jsonl

Reads a file of npm run export (JSON Lines: a thread, then its messages) into the tenant, ids, times,
order, metadata and attachments as they are. Each thread is written in one transaction (all of it or
none). A thread the tenant already has is verified against the file and skipped, so a re-run after an
interruption completes the rest. Streams the file: memory stays flat whatever its size.
Exit codes: 0 done, 1 a thread failed (each named with its reason) or another failure, 2 bad arguments.`;

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
