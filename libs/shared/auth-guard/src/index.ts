export * from './lib/token-verifier';
export * from './lib/decorators';
export * from './lib/access-token.guard';
export * from './lib/auth-guard.module';
export * from './lib/revocation-list';
