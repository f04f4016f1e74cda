import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Metadata } from '../common/metadata/is-metadata';
import { Stored } from '../common/http/raw-json';
import { searchVectorExpression } from '../database/text-search';

export type MessageRole = 'user' | 'assistant';
export type MessageStatus = 'in_progress' | 'incomplete' | 'completed';

export type MessageContentPart =
  | { type: 'text'; text: { value: string; annotations: unknown[] } }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }
  | { type: 'image_file'; image_file: { file_id: string; detail?: string } };

export interface MessageAttachment {
  file_id: string;
  tools: { type: 'code_interpreter' | 'file_search' }[];
}

type JsonColumns = 'content' | 'attachments' | 'metadata' | 'incompleteDetails';

/**
 * A message as the API presents it: what the queries select (the order key and the tenant stay in the
 * database). Its json columns may be their stored text (RawJson), passed through to the response.
 */
export type MessageRecord = Omit<MessageEntity, 'seq' | 'tenantId' | 'thread' | 'item' | 'searchVector' | JsonColumns> & {
  [K in JsonColumns]: Stored<MessageEntity[K]>;
};

/** The primary key (thread_id, seq) is the keyset index that orders a thread's messages. */
@Entity({ name: 'messages' })
// Resolves a list cursor (a message id) to its order key; the migration adds INCLUDE (seq), which TypeORM
// cannot describe, so it leaves this index to the migrations.
@Index('messages_thread_id_id_key', { synchronize: false })
// The keyset index of the Assistants view: the rows it shows (a conversation item stored whole is not one).
@Index('messages_thread_message_seq_idx', ['threadId', 'seq'], { where: 'item IS NULL' })
// The tenant's Assistants rows newest first: the tenant-wide search's windows of matches (messages/tenant-search.ts).
@Index('messages_tenant_seq_idx', ['tenantId', 'seq'], { where: 'item IS NULL' })
// The GIN index of search_vector, which TypeORM cannot describe either.
@Index('messages_search_idx', { synchronize: false })
@Index('messages_thread_run_seq_idx', ['threadId', 'runId', 'seq'], { where: 'run_id IS NOT NULL' })
export class MessageEntity {
  @PrimaryColumn({ name: 'thread_id', type: 'varchar', length: 64 })
  threadId: string;

  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  seq: number;

  @Column({ type: 'varchar', length: 64 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 128 })
  tenantId: string;

  @Column({ name: 'created_at', type: 'bigint' })
  createdAt: number;

  @Column({ type: 'varchar', length: 16 })
  role: MessageRole;

  @Column({ type: 'json' })
  content: MessageContentPart[];

  @Column({ type: 'json', default: () => "'[]'" })
  attachments: MessageAttachment[];

  @Column({ name: 'assistant_id', type: 'varchar', length: 64, nullable: true })
  assistantId: string | null;

  @Column({ name: 'run_id', type: 'varchar', length: 64, nullable: true })
  runId: string | null;

  @Column({ type: 'varchar', length: 16, default: 'completed' })
  status: MessageStatus;

  @Column({ name: 'incomplete_details', type: 'json', nullable: true })
  incompleteDetails: { reason: string } | null;

  @Column({ name: 'completed_at', type: 'bigint', nullable: true })
  completedAt: number | null;

  @Column({ name: 'incomplete_at', type: 'bigint', nullable: true })
  incompleteAt: number | null;

  @Column({ type: 'json', default: () => "'{}'" })
  metadata: Metadata;

  /**
   * A conversation item the Assistants API cannot express (a function call, a system message...),
   * stored whole as the Conversations API shows it (without its id); null for a message.
   */
  @Column({ type: 'json', nullable: true })
  item: Record<string, unknown> | null;
  /** The searchable text (a generated tsvector, never selected nor written); its GIN index is the migration's. */
  @Column({
    name: 'search_vector',
    type: 'tsvector',
    generatedType: 'STORED',
    asExpression: searchVectorExpression(),
    select: false,
    insert: false,
    update: false,
    nullable: true,
  })
  searchVector?: unknown;

  /** The foreign key to the thread, named by its table: messages know threads only as the table they belong to. */
  @ManyToOne('threads', { onDelete: 'CASCADE', createForeignKeyConstraints: true })
  @JoinColumn({ name: 'thread_id' })
  thread?: unknown;
}
