import { MigrationInterface, QueryRunner } from "typeorm";

export class InitialSchema1795445948865 implements MigrationInterface {
    name = 'InitialSchema1795445948865'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "threads" ("id" character varying(64) NOT NULL, "tenant_id" character varying(128) NOT NULL, "created_at" bigint NOT NULL, "metadata" json NOT NULL DEFAULT '{}', "tool_resources" json NOT NULL DEFAULT '{}', CONSTRAINT "PK_d8a74804c34fc3900502cd27275" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TABLE "messages" ("thread_id" character varying(64) NOT NULL, "seq" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "id" character varying(64) NOT NULL, "tenant_id" character varying(128) NOT NULL, "created_at" bigint NOT NULL, "role" character varying(16) NOT NULL, "content" json NOT NULL, "attachments" json NOT NULL DEFAULT '[]', "assistant_id" character varying(64), "run_id" character varying(64), "status" character varying(16) NOT NULL DEFAULT 'completed', "incomplete_details" json, "completed_at" bigint, "incomplete_at" bigint, "metadata" json NOT NULL DEFAULT '{}', CONSTRAINT "PK_5dc6250f94dff389c9d402f43f6" PRIMARY KEY ("thread_id", "seq"))`);
        await queryRunner.query(`CREATE INDEX "messages_thread_run_seq_idx" ON "messages"  ("thread_id", "run_id", "seq") WHERE run_id IS NOT NULL`);
        await queryRunner.query(`CREATE UNIQUE INDEX "messages_thread_id_id_key" ON "messages"  ("thread_id", "id") `);
        await queryRunner.query(`ALTER TABLE "messages" ADD CONSTRAINT "FK_bb3af7f695d50083e6523290d41" FOREIGN KEY ("thread_id") REFERENCES "threads"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "FK_bb3af7f695d50083e6523290d41"`);
        await queryRunner.query(`DROP INDEX "public"."messages_thread_id_id_key"`);
        await queryRunner.query(`DROP INDEX "public"."messages_thread_run_seq_idx"`);
        await queryRunner.query(`DROP TABLE "messages"`);
        await queryRunner.query(`DROP TABLE "threads"`);
    }

}
