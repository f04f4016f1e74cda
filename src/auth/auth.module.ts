import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyStore } from './api-key.store';
import { API_KEYS, ApiKey } from './api-keys';
import { ApiKeysRepository } from './api-keys.repository';

/** API keys: the configured ones and the managed ones of `api_keys`, held by the key store the guard asks. */
@Module({})
export class AuthModule {
  static forRoot(apiKeys: readonly ApiKey[]): DynamicModule {
    return {
      module: AuthModule,
      imports: [TypeOrmModule.forFeature([ApiKeyEntity])],
      providers: [{ provide: API_KEYS, useValue: apiKeys }, ApiKeysRepository, ApiKeyStore],
      exports: [ApiKeyStore],
    };
  }
}
