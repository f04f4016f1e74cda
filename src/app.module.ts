import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ApiVersionGuard } from './common/api-version/api-version.guard';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKey } from './auth/api-keys';
import { AuthModule } from './auth/auth.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { DrainState } from './common/http/drain';
import { ErrorFilter } from './common/errors/error.filter';
import { ApiValidationPipe } from './common/errors/validation.pipe';
import { DatabaseModule } from './database/database.module';
import { DatabaseSettings } from './database/data-source';
import { ConversationsModule } from './conversations/conversations.module';
import { FilesModule } from './files/files.module';
import { DEFAULT_FILES_SETTINGS, FilesSettings } from './files/files.settings';
import { HealthController } from './health/health.controller';
import { MessagesModule } from './messages/messages.module';
import { RetentionModule } from './retention/retention.module';
import { RetentionSettings } from './retention/retention.service';
import { ThreadsModule } from './threads/threads.module';

export interface AppModuleOptions {
  database: DatabaseSettings;
  apiKeys: readonly ApiKey[];
  /** RETENTION_DAYS and its batches; unset: keep forever. */
  retention?: RetentionSettings;
  /** The Files API's storage, size limit and reference rule; PostgreSQL, 512 MB and strict when unset. */
  files?: FilesSettings;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DatabaseModule.forRoot(options.database),
        AuthModule.forRoot(options.apiKeys),
        IdempotencyModule,
        FilesModule.forRoot(options.files ?? DEFAULT_FILES_SETTINGS),
        ThreadsModule,
        MessagesModule,
        ConversationsModule,
        RetentionModule.forRoot(options.retention),
      ],
      controllers: [HealthController],
      providers: [
        DrainState,
        // In this order: the key (401) before the version signal (400).
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: ApiVersionGuard },
        { provide: APP_PIPE, useClass: ApiValidationPipe },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
