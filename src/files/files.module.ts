import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FileReferences } from './file-references';
import { FileChunkEntity, FileEntity } from './file.entity';
import { FilesController } from './files.controller';
import { FilesRepository } from './files.repository';
import { FilesService } from './files.service';
import { FILES_SETTINGS, FilesSettings } from './files.settings';
import { FILE_STORAGE } from './storage/file-storage';
import { storageFor } from './storage/storage-for';

/** The Files API, and the reference rule (FileReferences) that messages and threads apply to the file ids they store. */
@Global()
@Module({})
export class FilesModule {
  static forRoot(settings: FilesSettings): DynamicModule {
    return {
      module: FilesModule,
      imports: [TypeOrmModule.forFeature([FileEntity, FileChunkEntity])],
      controllers: [FilesController],
      providers: [
        { provide: FILES_SETTINGS, useValue: settings },
        { provide: FILE_STORAGE, useFactory: storageFor, inject: [FILES_SETTINGS, FilesRepository] },
        FilesRepository,
        FilesService,
        FileReferences,
      ],
      exports: [FileReferences],
    };
  }
}
