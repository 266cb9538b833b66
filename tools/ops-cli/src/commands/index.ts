import { CliModule } from '../cli/command';
import { advisoriesCommands } from './advisories';
import { backupCommands } from './backup';
import { ldapCommands } from './ldap';
import { loginCommand, logoutCommand, whoamiCommand } from './login';
import { maintenanceCommands } from './maintenance';
import { releasesCommands } from './releases';
import { subscriptionsCommands } from './subscriptions';

/** Every command of keyhaven-ops, in help order. A new area is one more module here: a CommandGroup in its own file. */
export const COMMANDS: readonly CliModule[] = [
  loginCommand,
  logoutCommand,
  whoamiCommand,
  releasesCommands,
  advisoriesCommands,
  maintenanceCommands,
  subscriptionsCommands,
  ldapCommands,
  backupCommands,
];
