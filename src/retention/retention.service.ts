import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Counter, register } from 'prom-client';
import { ThreadsRepository } from '../threads/threads.repository';

/** Threads deleted for retention, by every batch of this process (the /metrics registry includes it). */
const deletedThreads = new Counter({ name: 'retention_deleted_threads_total', help: 'Threads deleted by retention (RETENTION_DAYS)', registers: [register] });
const deletedMessages = new Counter({
  name: 'retention_deleted_messages_total',
  help: 'Messages deleted with their threads by retention',
  registers: [register],
});

export interface RetentionSettings {
  /** Undefined: keep forever (the job does not run). */
  days: number | undefined;
  intervalMs: number;
  batchSize: number;
}

export const RETENTION_SETTINGS = Symbol('RETENTION_SETTINGS');

export interface PurgeResult {
  threads: number;
  messages: number;
  batches: number;
  /** Another instance held the retention lock when a batch was due: this run stopped there. */
  busy: boolean;
}

const DAY = 24 * 60 * 60;

/**
 * Deletes expired threads in small batches (one short statement each, so no lock is held for
 * long), until a batch finds fewer than its size; each batch logged and counted.
 */
export async function purgeExpired(
  threads: ThreadsRepository,
  options: { cutoff: number; batchSize: number; tenant?: string },
  onBatch: (batch: { threads: number; messages: number }) => void = () => undefined,
): Promise<PurgeResult> {
  const total: PurgeResult = { threads: 0, messages: 0, batches: 0, busy: false };
  for (;;) {
    const batch = await threads.expire({ cutoff: options.cutoff, limit: options.batchSize, tenant: options.tenant });
    if (!batch.locked) return { ...total, busy: true };
    if (batch.threads === 0) return total;
    total.threads += batch.threads;
    total.messages += batch.messages;
    total.batches++;
    onBatch(batch);
    if (batch.threads < options.batchSize) return total;
  }
}

export const cutoffFor = (days: number, nowSeconds = Math.floor(Date.now() / 1000)): number => nowSeconds - days * DAY;

/** RETENTION_DAYS: every RETENTION_INTERVAL_MS, from every instance, one at a time (an advisory lock). */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PurgeResult> | undefined;

  constructor(
    private readonly threads: ThreadsRepository,
    private readonly settings: RetentionSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.days === undefined) return;
    this.timer = setInterval(
      () => void this.runOnce().catch((error: Error) => this.logger.error(`retention failed: ${error.message}`)),
      this.settings.intervalMs,
    );
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass: every expired thread, batch by batch. A pass still running is not started twice. */
  runOnce(): Promise<PurgeResult> {
    const days = this.settings.days;
    if (days === undefined) return Promise.resolve({ threads: 0, messages: 0, batches: 0, busy: false });
    this.running ??= purgeExpired(this.threads, { cutoff: cutoffFor(days), batchSize: this.settings.batchSize }, (batch) => {
      deletedThreads.inc(batch.threads);
      deletedMessages.inc(batch.messages);
      this.logger.log(`retention: deleted ${batch.threads} thread(s) and ${batch.messages} message(s) idle for over ${days} day(s)`);
    }).finally(() => (this.running = undefined));
    return this.running;
  }
}
