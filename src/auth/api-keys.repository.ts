import { Injectable } from '@nestjs/common';
import { Sql, statement } from '../database/sql';

/** A managed key that may be used: what the key store holds in memory. */
export interface ActiveKeyRow {
  id: string;
  tenantId: string;
  /** Hex SHA-256 of the secret. */
  hash: string;
}

/** A managed key as the keys command lists it. */
export interface KeyListRow {
  id: string;
  tenant: string;
  name: string | null;
  created: Date;
  last_used: Date | null;
  revoked: Date | null;
}

export interface RevokedKeyRow {
  id: string;
  tenant: string;
  /** Revoked before this command. */
  already: boolean;
}

const ACTIVE = statement(`SELECT id, tenant_id AS "tenantId", hash FROM api_keys WHERE revoked_at IS NULL`);
/** Each key's last use as it was accepted (epoch milliseconds), not as the batch is written. */
const TOUCH = statement(`
  UPDATE api_keys k SET last_used_at = GREATEST(k.last_used_at, to_timestamp(u.ms / 1000.0))
  FROM unnest($1::varchar[], $2::float8[]) AS u(id, ms) WHERE k.id = u.id`);
const CREATE = statement(`INSERT INTO api_keys (id, tenant_id, name, hash) VALUES ($1, $2, $3, $4)`);
const LIST = statement(`
  SELECT id, tenant_id AS tenant, name, created_at AS created, last_used_at AS last_used, revoked_at AS revoked
  FROM api_keys ORDER BY created_at, id`);
const REVOKE = statement(`
  UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
  WHERE id = $1 OR hash = $2
  RETURNING id, tenant_id AS tenant, revoked_at < now() AS already`);

/** Every statement on `api_keys`: the key store's reads and batched last-used times, and the keys command's. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly sql: Sql) {}

  active(): Promise<ActiveKeyRow[]> {
    return this.sql.rows<ActiveKeyRow>(ACTIVE, []);
  }

  async touch(used: ReadonlyMap<string, number>): Promise<void> {
    await this.sql.rows(TOUCH, [[...used.keys()], [...used.values()]]);
  }

  async create(key: { id: string; tenantId: string; name: string | null; hash: string }): Promise<void> {
    await this.sql.rows(CREATE, [key.id, key.tenantId, key.name, key.hash]);
  }

  list(): Promise<KeyListRow[]> {
    return this.sql.rows<KeyListRow>(LIST, []);
  }

  /** Revokes the key with this id or this hash; undefined when there is none. */
  async revoke(id: string, hash: string): Promise<RevokedKeyRow | undefined> {
    const rows = await this.sql.rows<RevokedKeyRow>(REVOKE, [id, hash]);
    return rows[0];
  }
}
