import type { NamedMigration } from '@keyhaven/database';
import { Migration20261127121455 } from './Migration20261127121455';

/** Every migration, oldest first. Written by tools/scripts/migrations.mjs; do not edit by hand. */
export const AUTH_MIGRATIONS: readonly NamedMigration[] = [
  { name: 'Migration20261127121455', class: Migration20261127121455 },
];
