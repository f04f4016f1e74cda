import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conversation items the Assistants API cannot express (function calls and their outputs,
 * reasoning, system and developer messages, ...) live in `messages` beside the messages, under
 * the same order key, stored whole in `item`; `item` is null for every row the Assistants API
 * shows. The Assistants lists walk the partial index of those rows, so that skipping the other
 * items is part of the index scan and a page still costs `limit + 1` entries.
 */
export class ConversationItems1795460000000 implements MigrationInterface {
  name = 'ConversationItems1795460000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" ADD "item" json`);
    await queryRunner.query(`CREATE INDEX "messages_thread_message_seq_idx" ON "messages" ("thread_id", "seq") WHERE item IS NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."messages_thread_message_seq_idx"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "item"`);
  }
}
