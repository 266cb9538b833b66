import { Logger } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** Extra header fields, e.g. `List-Unsubscribe` (RFC 2369) and `List-Unsubscribe-Post` (RFC 8058). */
  headers?: Record<string, string>;
}

export interface MailerOptions {
  /** `smtp://user:pass@host:port` or `smtps://…`; unset → mails are written to the log. */
  smtpUrl: string | undefined;
  from: string;
  logger?: Pick<Logger, 'log' | 'error'>;
}

/**
 * Outgoing mail for security notices. With an SMTP URL, nodemailer delivers; without one (the
 * embedded demo) each mail is logged in full, so nothing a user should have been told is ever
 * dropped silently.
 */
export class Mailer {
  private readonly transport: Transporter | undefined;
  private readonly logger: Pick<Logger, 'log' | 'error'>;

  constructor(private readonly options: MailerOptions) {
    this.transport = options.smtpUrl ? createTransport(options.smtpUrl) : undefined;
    this.logger = options.logger ?? new Logger('Mailer');
  }

  get delivers(): boolean {
    return this.transport !== undefined;
  }

  async send(message: MailMessage): Promise<void> {
    if (!this.transport) {
      this.logger.log(`Mail (no SMTP_URL, logged instead of sent) to=${message.to} subject=${JSON.stringify(message.subject)}\n${message.text}`);
      return;
    }
    await this.transport.sendMail({ from: this.options.from, to: message.to, subject: message.subject, text: message.text, headers: message.headers });
  }

  /**
   * For notices that must not fail the request that caused them (the user has already been
   * answered): a delivery failure is logged with the recipient and subject.
   */
  sendInBackground(message: MailMessage): Promise<void> {
    return this.send(message).catch((error: unknown) => {
      this.logger.error(`Mail to ${message.to} (${message.subject}) failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  close(): void {
    this.transport?.close();
  }
}
