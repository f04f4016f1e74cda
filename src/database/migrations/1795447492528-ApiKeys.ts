import { MigrationInterface, QueryRunner } from "typeorm";

export class ApiKeys1795447492528 implements MigrationInterface {
    name = 'ApiKeys1795447492528'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "api_keys" ("id" character varying(40) NOT NULL, "tenant_id" character varying(128) NOT NULL, "name" character varying(128), "hash" character(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys"  ("hash") `);
        // Every service instance listens: a revoked key leaves each one's key table at once.
        await queryRunner.query(`CREATE FUNCTION api_keys_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('api_keys_changed', CASE WHEN TG_OP = 'INSERT' THEN '' ELSE OLD.hash END);
                RETURN NULL;
            END $$`);
        await queryRunner.query(`CREATE TRIGGER api_keys_changed AFTER INSERT OR DELETE OR UPDATE OF revoked_at, hash, tenant_id ON "api_keys" FOR EACH ROW EXECUTE FUNCTION api_keys_notify()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER api_keys_changed ON "api_keys"`);
        await queryRunner.query(`DROP FUNCTION api_keys_notify()`);
        await queryRunner.query(`DROP INDEX "public"."api_keys_hash_key"`);
        await queryRunner.query(`DROP TABLE "api_keys"`);
    }

}
