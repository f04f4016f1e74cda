import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { Metadata } from '../common/metadata/is-metadata';

export interface ToolResources {
  code_interpreter?: { file_ids?: string[] };
  file_search?: { vector_store_ids?: string[] };
}

@Entity({ name: 'threads' })
// The keyset index of a tenant's thread list.
@Index('threads_tenant_created_idx', ['tenantId', 'createdAt', 'id'])
export class ThreadEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 128 })
  tenantId: string;

  @Column({ name: 'created_at', type: 'bigint' })
  createdAt: number;

  @Column({ type: 'json', default: () => "'{}'" })
  metadata: Metadata;

  @Column({ name: 'tool_resources', type: 'json', default: () => "'{}'" })
  toolResources: ToolResources;
}
