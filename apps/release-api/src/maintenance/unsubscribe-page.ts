import type { FastifyReply } from 'fastify';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The two small pages of the unsubscribe link. The GET page only asks — mail scanners and link
 * previews fetch links, and must not unsubscribe anyone — and its button posts back to the same
 * address. The token is in the URL, so no referrer leaves the page and nothing is cached.
 */
export function sendUnsubscribePage(reply: FastifyReply, page: { kind: 'confirm'; token: string } | { kind: 'done' }): void {
  const body =
    page.kind === 'confirm'
      ? `<h1>Unsubscribe from maintenance notices?</h1>
<p>This address will no longer receive Keyhaven maintenance announcements, reminders or changes.</p>
<form method="post" action="?token=${escapeHtml(encodeURIComponent(page.token))}"><button type="submit">Unsubscribe</button></form>`
      : `<h1>You are unsubscribed</h1>
<p>This address will receive no more Keyhaven maintenance notices. The maintenance calendar stays public at <code>/v1/maintenance.ics</code>.</p>`;
  void reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .send(
      `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Keyhaven maintenance notices</title></head>\n<body>\n${body}\n</body></html>\n`,
    );
}
