import { DynamicModule, Global, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { createOrmConfig, DatabaseOptions } from './orm-config';
import { DatabaseReadiness } from './database-readiness';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [MikroOrmModule.forRoot({ ...createOrmConfig(options), registerRequestContext: true })],
      providers: [DatabaseReadiness],
      exports: [DatabaseReadiness],
    };
  }
}
