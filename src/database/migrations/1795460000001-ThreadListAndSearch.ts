import { MigrationInterface, QueryRunner } from 'typeorm';
import { searchVectorExpression } from '../text-search';

/**
 * Listing a tenant's threads walks (tenant_id, created_at, id): a page costs the same for ten
 * threads or ten million. Message search reads `search_vector`, a generated tsvector of the text
 * parts (in SEARCH_CONFIG's text-search configuration when this runs, default `simple`), through
 * a GIN index, which TypeORM cannot describe: the entity leaves it to the migrations. TypeORM
 * reads a generated column's expression from its `typeorm_metadata` table (keyed by database
 * name), so the row it would write goes there too.
 */
export class ThreadListAndSearch1795460000001 implements MigrationInterface {
  name = 'ThreadListAndSearch1795460000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const expression = searchVectorExpression();
    await queryRunner.query(`CREATE INDEX "threads_tenant_created_idx" ON "threads" ("tenant_id", "created_at", "id") `);
    await queryRunner.query(`ALTER TABLE "messages" ADD "search_vector" tsvector GENERATED ALWAYS AS (${expression}) STORED`);
    await queryRunner.query(`CREATE INDEX "messages_search_idx" ON "messages" USING gin ("search_vector")`);
    await queryRunner.query(
      `CREATE TABLE IF NOT EXISTS "typeorm_metadata" ("type" character varying NOT NULL, "database" character varying, "schema" character varying, ` +
        `"table" character varying, "name" character varying, "value" text)`,
    );
    await queryRunner.query(
      `INSERT INTO "typeorm_metadata"("database", "schema", "table", "type", "name", "value") VALUES (current_database(), 'public', 'messages', 'GENERATED_COLUMN', 'search_vector', $1)`,
      [expression],
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "typeorm_metadata" WHERE "type" = 'GENERATED_COLUMN' AND "table" = 'messages' AND "name" = 'search_vector'`);
    await queryRunner.query(`DROP INDEX "public"."messages_search_idx"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "search_vector"`);
    await queryRunner.query(`DROP INDEX "public"."threads_tenant_created_idx"`);
  }
}
