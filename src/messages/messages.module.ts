import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MessageEntity } from './message.entity';
import { MessagesRepository } from './messages.repository';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { SearchController } from './search.controller';

@Module({
  imports: [TypeOrmModule.forFeature([MessageEntity])],
  controllers: [MessagesController, SearchController],
  providers: [MessagesService, MessagesRepository],
})
export class MessagesModule {}
