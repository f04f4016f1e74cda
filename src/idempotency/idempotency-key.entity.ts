import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The first response to a create request sent with an `Idempotency-Key`, kept for 24 hours. */
@Entity({ name: 'idempotency_keys' })
@Index('idempotency_keys_created_at_idx', ['createdAt'])
export class IdempotencyKeyEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 128 })
  tenantId: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  key: string;

  /** SHA-256 of the method, route, shape and body: the same key with another request is refused. */
  @Column({ type: 'varchar', length: 64 })
  fingerprint: string;

  @Column({ type: 'json', nullable: true })
  response: unknown;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
