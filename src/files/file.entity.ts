import { Column, Entity, Generated, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

/** The purposes a client may upload with (CreateFileRequest). */
export const FILE_PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];

/** A file as the API presents it: what the queries select (the order key and the tenant stay in the database). */
export interface FileRecord {
  id: string;
  bytes: number;
  createdAt: number;
  expiresAt: number | null;
  filename: string;
  purpose: FilePurpose;
  contentType: string;
}

/**
 * An uploaded file's description; its bytes are in `file_chunks` (FILE_STORAGE=postgres) or an
 * object store (s3). The row is inserted in the transaction that stores the bytes, so that a file
 * is visible only once all of it is stored.
 */
@Entity({ name: 'files' })
// Lists walk a tenant's files by their order key; the id is the public, random one.
@Index('files_tenant_seq_key', ['tenantId', 'seq'], { unique: true })
@Index('files_expires_at_idx', ['expiresAt'], { where: 'expires_at IS NOT NULL' })
export class FileEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ type: 'bigint', generatedIdentity: 'ALWAYS' })
  // 'identity' works at run time (as in @PrimaryGeneratedColumn) but is missing from @Generated's type.
  @Generated('identity' as 'increment')
  seq: number;

  @Column({ name: 'tenant_id', type: 'varchar', length: 128 })
  tenantId: string;

  @Column({ type: 'bigint' })
  bytes: number;

  @Column({ name: 'created_at', type: 'bigint' })
  createdAt: number;

  @Column({ name: 'expires_at', type: 'bigint', nullable: true })
  expiresAt: number | null;

  @Column({ type: 'varchar', length: 255 })
  filename: string;

  @Column({ type: 'varchar', length: 32 })
  purpose: string;

  @Column({ name: 'content_type', type: 'varchar', length: 255 })
  contentType: string;
}

/** A file's bytes in PostgreSQL: numbered chunks of CHUNK_BYTES (the last one shorter), deleted with their file. */
@Entity({ name: 'file_chunks' })
export class FileChunkEntity {
  @PrimaryColumn({ name: 'file_id', type: 'varchar', length: 64 })
  fileId: string;

  @PrimaryColumn({ type: 'integer' })
  n: number;

  @Column({ type: 'bytea' })
  data: Buffer;

  @ManyToOne('files', { onDelete: 'CASCADE', createForeignKeyConstraints: true })
  @JoinColumn({ name: 'file_id', referencedColumnName: 'id' })
  file?: unknown;
}
