import { DynamicModule, Module } from '@nestjs/common';
import { ThreadsRepository } from '../threads/threads.repository';
import { RETENTION_SETTINGS, RetentionService, RetentionSettings } from './retention.service';

/** RETENTION_DAYS: expired threads deleted in the background (nothing runs when it is unset). */
@Module({})
export class RetentionModule {
  static forRoot(settings: RetentionSettings = { days: undefined, intervalMs: 3600000, batchSize: 100 }): DynamicModule {
    return {
      module: RetentionModule,
      providers: [
        ThreadsRepository,
        { provide: RETENTION_SETTINGS, useValue: settings },
        {
          provide: RetentionService,
          useFactory: (threads: ThreadsRepository, s: RetentionSettings) => new RetentionService(threads, s),
          inject: [ThreadsRepository, RETENTION_SETTINGS],
        },
      ],
      exports: [RetentionService],
    };
  }
}
