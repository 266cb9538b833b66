import { CliModule } from '../cli/command';
import { advisoriesCommands } from './advisories';
import { loginCommand, logoutCommand, whoamiCommand } from './login';
import { releasesCommands } from './releases';

/**
 * Every command of keyhaven-ops, in help order. A new area (maintenance windows,
 * subscriptions) is one more module here: a CommandGroup in its own file.
 */
export const COMMANDS: readonly CliModule[] = [loginCommand, logoutCommand, whoamiCommand, releasesCommands, advisoriesCommands];
