export * from './lib/http-app';
export * from './lib/metrics';
export * from './lib/health';
export * from './lib/platform.module';
export * from './lib/boot';
export * from './lib/json-body';
export * from './lib/records-reply';
export * from './lib/lean-route';
