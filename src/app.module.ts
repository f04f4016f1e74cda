import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiVersionGuard } from './common/api-version/api-version.guard';
import { ApiKeyGuard } from './common/auth/api-key.guard';
import { ApiKeyStore } from './common/auth/api-key.store';
import { API_KEYS, ApiKey } from './common/auth/api-keys';
import { IdempotencyModule } from './common/idempotency/idempotency.module';
import { DrainState } from './common/http/drain';
import { ErrorFilter } from './common/errors/error.filter';
import { ApiValidationPipe } from './common/errors/validation.pipe';
import { DatabaseModule } from './database/database.module';
import { DatabaseSettings, dataSourceOptions } from './database/data-source';
import { HealthController } from './health/health.controller';
import { MessagesModule } from './messages/messages.module';
import { ThreadsModule } from './threads/threads.module';

export interface AppModuleOptions {
  database: DatabaseSettings;
  apiKeys: readonly ApiKey[];
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [TypeOrmModule.forRoot(dataSourceOptions(options.database)), DatabaseModule.forRoot(options.database), IdempotencyModule, ThreadsModule, MessagesModule],
      controllers: [HealthController],
      providers: [
        DrainState,
        ApiKeyStore,
        { provide: API_KEYS, useValue: options.apiKeys },
        // In this order: the key (401) before the version signal (400).
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: ApiVersionGuard },
        { provide: APP_PIPE, useClass: ApiValidationPipe },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
