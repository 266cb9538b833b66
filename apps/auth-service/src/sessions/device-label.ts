import Bowser from 'bowser';

const UNKNOWN = 'Unknown device';

/**
 * What the session list and the security mails call a device: browser and system parsed from
 * the User-Agent ("Firefox on Linux", "Safari on iOS"), without versions — a browser update is
 * not a new device — and never the raw header (fingerprinting material we do not need). A
 * client that is not a browser is named by its product token ("curl", "keyhaven-ops").
 */
export function deviceLabel(userAgent: string | undefined): string {
  const ua = userAgent?.trim().slice(0, 512);
  if (!ua) return UNKNOWN;
  let browser = '';
  let os = '';
  try {
    const parsed = Bowser.parse(ua);
    browser = parsed.browser.name ?? '';
    os = parsed.os.name ?? '';
  } catch {
    return UNKNOWN;
  }
  if (browser && os) return clean(`${browser} on ${os}`);
  if (browser) return clean(browser);
  const product = /^([A-Za-z][A-Za-z0-9._-]{0,39})(?:\/|\s|$)/.exec(ua)?.[1];
  if (product && product.toLowerCase() !== 'mozilla') return clean(os ? `${product} on ${os}` : product);
  return os ? clean(`Browser on ${os}`) : UNKNOWN;
}

/** Printable ASCII only, bounded: the label goes into mails and HTML. */
function clean(label: string): string {
  return label.replace(/[^\x20-\x7e]/g, '').slice(0, 80) || UNKNOWN;
}
