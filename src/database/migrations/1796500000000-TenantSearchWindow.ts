import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tenant-wide search takes its newest matches first: for a common word, walking the tenant's
 * messages newest first finds them sooner than reading every match from the GIN index.
 */
export class TenantSearchWindow1796500000000 implements MigrationInterface {
  name = 'TenantSearchWindow1796500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "messages_tenant_seq_idx" ON "messages" ("tenant_id", "seq") WHERE item IS NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."messages_tenant_seq_idx"`);
  }
}
