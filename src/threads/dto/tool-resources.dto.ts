import { ApiHideProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsString, MaxLength, ValidateBy, ValidateNested } from 'class-validator';
import { reports, tooManyItems } from '../../common/errors/wording';
import { IsObjectId } from '../../common/ids';

export class CodeInterpreterResourcesDto {
  @ApiPropertyOptional({ type: [String], maxItems: 20 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20, tooManyItems(20))
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  @IsObjectId({ list: true })
  file_ids?: string[];
}

export class FileSearchResourcesDto {
  @ApiPropertyOptional({ type: [String], maxItems: 1 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1, tooManyItems(1))
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  @IsObjectId({ list: true })
  vector_store_ids?: string[];

  // The spec's helper that creates a vector store with the thread: there is no vector store here to create.
  @ApiHideProperty()
  @IsOptional()
  @ValidateBy(
    { name: 'noVectorStores', validator: { validate: () => false } },
    reports((_value, param) => ({
      message: `Unsupported parameter: '${param}'. This server keeps threads, messages and files but creates no vector stores: create the vector store where your file search runs and pass its id in 'vector_store_ids'.`,
      param,
      code: 'unsupported_parameter',
    })),
  )
  vector_stores?: unknown;
}

export class ToolResourcesDto {
  @ApiPropertyOptional({ type: () => CodeInterpreterResourcesDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => CodeInterpreterResourcesDto)
  code_interpreter?: CodeInterpreterResourcesDto;

  @ApiPropertyOptional({ type: () => FileSearchResourcesDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => FileSearchResourcesDto)
  file_search?: FileSearchResourcesDto;
}
