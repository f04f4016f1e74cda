import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A list cursor (a message id) is resolved to its order key by the (thread_id, id) index: with
 * seq included, that lookup reads the index alone instead of also fetching the row.
 */
export class CursorIndexIncludesSeq1795451800000 implements MigrationInterface {
  name = 'CursorIndexIncludesSeq1795451800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."messages_thread_id_id_key"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "messages_thread_id_id_key" ON "messages" ("thread_id", "id") INCLUDE ("seq")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."messages_thread_id_id_key"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "messages_thread_id_id_key" ON "messages" ("thread_id", "id")`);
  }
}
