import type { Factor, SecurityEvent } from './api';
import { describeEvent, factorKind, formatWhen, groupSecret, orderMethods } from './format';

const factor = (over: Partial<Factor> = {}): Factor => ({
  id: 'f1',
  type: 'totp',
  name: 'Phone',
  createdAt: '2026-11-27T12:00:00.000Z',
  lastUsedAt: null,
  ...over,
});

const event = (over: Partial<SecurityEvent> = {}): SecurityEvent => ({ id: 'e1', type: 'mfa_succeeded', occurredAt: '2026-11-27T12:00:00.000Z', ...over });

describe('format', () => {
  describe('formatWhen', () => {
    it('formats in the given locale and zone', () => {
      expect(formatWhen('2026-11-27T12:05:00.000Z', { locale: 'en-GB', timeZone: 'UTC' })).toBe('27 Nov 2026, 12:05');
    });

    it('says Never for a factor not used yet, and Unknown for garbage', () => {
      expect(formatWhen(null)).toBe('Never');
      expect(formatWhen('not a date')).toBe('Unknown');
    });
  });

  describe('factorKind', () => {
    it('names each kind', () => {
      expect(factorKind(factor())).toBe('Authenticator app');
      expect(factorKind(factor({ type: 'webauthn', passkey: true }))).toBe('Passkey');
      expect(factorKind(factor({ type: 'webauthn', passkey: false }))).toBe('Security key');
      expect(factorKind(factor({ type: 'webauthn' }))).toBe('Security key or passkey');
    });
  });

  describe('orderMethods', () => {
    it('puts phishing-resistant keys first and drops unknown methods', () => {
      expect(orderMethods(['recovery_code', 'totp', 'sms', 'webauthn'])).toEqual(['webauthn', 'totp', 'recovery_code']);
    });
  });

  describe('groupSecret', () => {
    it('groups a base32 secret in fours', () => {
      expect(groupSecret('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP');
      expect(groupSecret('ABCDE')).toBe('ABCD E');
    });
  });

  describe('describeEvent', () => {
    it('labels known events with their method', () => {
      expect(describeEvent(event({ details: { method: 'totp', factorId: 'x' } }))).toBe('Signed in with a second factor (authenticator app)');
      expect(describeEvent(event({ type: 'recovery_code_used' }))).toBe('Recovery code used');
    });

    it('shows the reason of an admin reset', () => {
      expect(describeEvent(event({ type: 'admin_factors_reset', details: { reason: 'lost phone' } }))).toBe(
        'An administrator reset your factors (reason: lost phone)',
      );
    });

    it('still shows an event type it does not know', () => {
      expect(describeEvent(event({ type: 'passkey_renamed' }))).toBe('Passkey renamed');
    });
  });
});
