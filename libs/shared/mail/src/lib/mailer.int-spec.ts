import { startSmtpCapture } from '@keyhaven/testing';
import { Mailer } from './mailer';

describe(Mailer.name, () => {
  describe('send', () => {
    it('delivers over SMTP to a real server', async () => {
      const smtp = await startSmtpCapture();
      const sut = new Mailer({ smtpUrl: smtp.url, from: 'Keyhaven <no-reply@keyhaven.test>' });
      try {
        await sut.send({ to: 'ada@example.test', subject: 'Grüße: a code was reused', text: 'Line one\n\nÜmlauts and a long line '.padEnd(200, 'x') });
        const mail = await smtp.waitFor((m) => m.to.includes('ada@example.test'));
        expect(mail.subject).toBe('Grüße: a code was reused');
        expect(mail.from).toBe('no-reply@keyhaven.test');
        expect(mail.text).toContain('Ümlauts and a long line xxx');
      } finally {
        sut.close();
        await smtp.close();
      }
    });

    it('sends the extra header fields it is given', async () => {
      const smtp = await startSmtpCapture();
      const sut = new Mailer({ smtpUrl: smtp.url, from: 'no-reply@keyhaven.test' });
      try {
        const unsubscribe = '<https://releases.example.test/v1/subscriptions/s1/unsubscribe?token=t>';
        await sut.send({
          to: 'ada@example.test',
          subject: 'Notice',
          text: 'Body',
          headers: { 'List-Unsubscribe': unsubscribe, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
        });
        const mail = await smtp.waitFor((m) => m.subject === 'Notice');
        expect(mail.headers.get('list-unsubscribe')).toBe(unsubscribe);
        expect(mail.headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      } finally {
        sut.close();
        await smtp.close();
      }
    });

    it('writes the whole mail to the log without SMTP_URL, never dropping it', async () => {
      const lines: string[] = [];
      const sut = new Mailer({ smtpUrl: undefined, from: 'x@y.test', logger: { log: (m: string) => void lines.push(m), error: () => undefined } });
      expect(sut.delivers).toBe(false);
      await sut.send({ to: 'ada@example.test', subject: 'Hello', text: 'Body text' });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('to=ada@example.test');
      expect(lines[0]).toContain('Body text');
    });
  });

  describe('sendInBackground', () => {
    it('logs a failed delivery instead of throwing', async () => {
      const errors: string[] = [];
      const sut = new Mailer({ smtpUrl: 'smtp://127.0.0.1:1', from: 'x@y.test', logger: { log: () => undefined, error: (m: string) => void errors.push(m) } });
      await sut.sendInBackground({ to: 'ada@example.test', subject: 'Hello', text: 'Body' });
      expect(errors[0]).toMatch(/Mail to ada@example.test \(Hello\) failed/);
      sut.close();
    });
  });
});
