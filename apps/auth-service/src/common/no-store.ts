import { Header } from '@nestjs/common';

/**
 * An answer that carries a token or a secret (an access or pending token, a TOTP secret,
 * recovery codes): no cache — browser, proxy or CDN — may keep a copy (RFC 9111 section 5.2.2.5;
 * OAuth 2.0, RFC 6749 section 5.1, asks the same of token responses).
 */
export const NoStore = () => Header('Cache-Control', 'no-store');
