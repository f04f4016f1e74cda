import { MigrationInterface, QueryRunner } from "typeorm";

export class IdempotencyKeys1795446302552 implements MigrationInterface {
    name = 'IdempotencyKeys1795446302552'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "idempotency_keys" ("tenant_id" character varying(128) NOT NULL, "key" character varying(255) NOT NULL, "fingerprint" character varying(64) NOT NULL, "response" json, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_b5c6db50392003e35d51ef7aba7" PRIMARY KEY ("tenant_id", "key"))`);
        await queryRunner.query(`CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys"  ("created_at") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."idempotency_keys_created_at_idx"`);
        await queryRunner.query(`DROP TABLE "idempotency_keys"`);
    }

}
