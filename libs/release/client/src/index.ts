export { ReleaseClient } from './lib/release-client';
export type { ReleaseClientOptions, ReleaseClientClock, ReleaseClientTimers, VerifiedCheck } from './lib/release-client';
export { ReleaseClientError, RELEASE_CLIENT_ERROR_CODES } from './lib/errors';
export type { ReleaseClientErrorCode, ReleaseClientErrorDetails } from './lib/errors';
export { CHECK_STATUSES } from './lib/check-answer';
export type { CheckStatus, ReleaseCheckAnswer } from './lib/check-answer';
export { parseSignatureHeader, verifySignedBody, importPinnedKeys } from './lib/signature';
export type { ReleaseSigningJwk, SignatureHeader } from './lib/signature';
export type { ReleaseClientState } from './lib/state-file';
