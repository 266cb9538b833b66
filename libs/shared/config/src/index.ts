export * from './lib/duration';
export * from './lib/env';
export * from './lib/common';
