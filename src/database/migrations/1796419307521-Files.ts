import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Uploaded files and, for FILE_STORAGE=postgres, their bytes in 1 MiB chunks. The chunks are stored
 * uncompressed (STORAGE EXTERNAL): uploads are mostly compressed already, and pglz would only cost CPU.
 */
export class Files1796419307521 implements MigrationInterface {
    name = 'Files1796419307521'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "files" ("id" character varying(64) NOT NULL, "seq" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "tenant_id" character varying(128) NOT NULL, "bytes" bigint NOT NULL, "created_at" bigint NOT NULL, "expires_at" bigint, "filename" character varying(255) NOT NULL, "purpose" character varying(32) NOT NULL, "content_type" character varying(255) NOT NULL, CONSTRAINT "PK_6c16b9093a142e0e7613b04a3d9" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "files_expires_at_idx" ON "files"  ("expires_at") WHERE expires_at IS NOT NULL`);
        await queryRunner.query(`CREATE UNIQUE INDEX "files_tenant_seq_key" ON "files"  ("tenant_id", "seq") `);
        await queryRunner.query(`CREATE TABLE "file_chunks" ("file_id" character varying(64) NOT NULL, "n" integer NOT NULL, "data" bytea NOT NULL, CONSTRAINT "PK_9f9b1a5503c18d30654dd04254b" PRIMARY KEY ("file_id", "n"))`);
        await queryRunner.query(`ALTER TABLE "file_chunks" ADD CONSTRAINT "FK_617e13364db5af550e924954530" FOREIGN KEY ("file_id") REFERENCES "files"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "file_chunks" ALTER COLUMN "data" SET STORAGE EXTERNAL`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "file_chunks" DROP CONSTRAINT "FK_617e13364db5af550e924954530"`);
        await queryRunner.query(`DROP TABLE "file_chunks"`);
        await queryRunner.query(`DROP INDEX "public"."files_tenant_seq_key"`);
        await queryRunner.query(`DROP INDEX "public"."files_expires_at_idx"`);
        await queryRunner.query(`DROP TABLE "files"`);
    }

}
