// The embedded PostgreSQL alone (start/join, its files), without MikroORM: for tools such as the ops CLI's snapshots.
export * from './lib/embedded/shared-server';
export { freeLoopbackPort, readPostmasterState, isClusterServer, SUPERUSER } from './lib/embedded/cluster';
export { serverUser } from './lib/embedded/server-binaries';
