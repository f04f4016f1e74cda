import { DynamicModule, Global, Module } from '@nestjs/common';
import { DATABASE_SETTINGS, DatabaseSettings } from './data-source';
import { Sql } from './sql';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(settings: DatabaseSettings): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [Sql, { provide: DATABASE_SETTINGS, useValue: settings }],
      exports: [Sql, DATABASE_SETTINGS],
    };
  }
}
