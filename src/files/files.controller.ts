import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, StreamableFile } from '@nestjs/common';
import { ApiBody, ApiConsumes } from '@nestjs/swagger';
import { ApiRequest, Tenant } from '../common/api-version/api-request';
import { IdPipe } from '../common/id.pipe';
import { Idempotency, IdempotentRequest } from '../idempotency/idempotency-key.decorator';
import { FILE_PURPOSES } from './file.entity';
import { FilesService } from './files.service';
import { ListFilesQueryDto } from './list-files-query.dto';

const FileIdPipe = new IdPipe('file');

@Controller(['v1/files', 'openai/files'])
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Post()
  @HttpCode(200)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file', 'purpose'],
      properties: {
        file: { type: 'string', format: 'binary' },
        purpose: { type: 'string', enum: [...FILE_PURPOSES] },
        'expires_after[anchor]': { type: 'string', enum: ['created_at'] },
        'expires_after[seconds]': { type: 'integer', minimum: 3600, maximum: 2592000 },
      },
    },
  })
  create(@Tenant() tenant: string, @Req() request: ApiRequest, @Idempotency() idempotency?: IdempotentRequest) {
    return this.files.create(tenant, request.headers, request.body, idempotency);
  }

  @Get()
  list(@Tenant() tenant: string, @Query() query: ListFilesQueryDto) {
    return this.files.list(tenant, query);
  }

  @Get(':file_id')
  retrieve(@Tenant() tenant: string, @Param('file_id', FileIdPipe) fileId: string) {
    return this.files.retrieve(tenant, fileId);
  }

  @Delete(':file_id')
  delete(@Tenant() tenant: string, @Param('file_id', FileIdPipe) fileId: string) {
    return this.files.delete(tenant, fileId);
  }

  @Get(':file_id/content')
  content(@Tenant() tenant: string, @Param('file_id', FileIdPipe) fileId: string): Promise<StreamableFile> {
    return this.files.content(tenant, fileId);
  }
}
