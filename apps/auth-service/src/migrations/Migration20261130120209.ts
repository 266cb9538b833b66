import { Migration } from '@mikro-orm/migrations';

export class Migration20261130120209 extends Migration {
  override async up(): Promise<void> {
    // Generated; trimmed by hand to this column (the rest of the diff was the hand-written
    // constraints and partial indexes the entities cannot express). A running run's progress.
    this.addSql(`alter table "auth"."directory_sync_run" add column "users_read" int not null default 0;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "auth"."directory_sync_run" drop column "users_read";`);
  }
}
