import { Module } from '@nestjs/common';
import { ThreadsRepository } from '../threads/threads.repository';
import { ConversationItemsRepository } from './conversation-items.repository';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';

/** The Conversations view of the threads and messages store: no table of its own. */
@Module({
  controllers: [ConversationsController],
  providers: [ConversationsService, ConversationItemsRepository, ThreadsRepository],
})
export class ConversationsModule {}
