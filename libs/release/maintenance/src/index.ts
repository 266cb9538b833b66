export * from './lib/notice-plan';
export * from './lib/webhook-signature';
export * from './lib/window-view';
export * from './lib/feeds';
export * from './lib/notice-message';
export * from './lib/webhook-egress';
