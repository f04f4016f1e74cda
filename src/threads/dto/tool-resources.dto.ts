import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { tooManyItems } from '../../common/errors/wording';
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
