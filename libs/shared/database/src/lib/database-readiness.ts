import { Injectable } from '@nestjs/common';

/** Set once the boot step has applied migrations; `/health/ready` reports it. */
@Injectable()
export class DatabaseReadiness {
  private migrated = false;

  markMigrated(): void {
    this.migrated = true;
  }

  get isMigrated(): boolean {
    return this.migrated;
  }
}
