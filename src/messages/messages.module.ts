import { Module } from '@nestjs/common';
import { MessageWriter } from './message.writer';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';

@Module({
  controllers: [MessagesController],
  providers: [MessagesService, MessageWriter],
  exports: [MessageWriter],
})
export class MessagesModule {}
