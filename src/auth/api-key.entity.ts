import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A managed API key: only the SHA-256 of the secret is kept; the secret is shown once, at creation. */
@Entity({ name: 'api_keys' })
@Index('api_keys_hash_key', ['hash'], { unique: true })
export class ApiKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 128 })
  tenantId: string;

  @Column({ type: 'varchar', length: 128, nullable: true })
  name: string | null;

  /** Hex SHA-256 of the secret. */
  @Column({ type: 'char', length: 64 })
  hash: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
