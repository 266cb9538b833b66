import type { CheckStatus } from '../catalog/catalog-types';

const BADGES: Record<CheckStatus | 'invalid', { text: string; color: string }> = {
  up_to_date: { text: 'up to date', color: '#4c1' },
  update_available: { text: 'update available', color: '#007ec6' },
  security_update: { text: 'security update', color: '#e05d44' },
  unsupported: { text: 'unsupported', color: '#9f9f9f' },
  invalid: { text: 'invalid version', color: '#9f9f9f' },
};

/** Approximate Verdana 11px advance widths, as shields.io-style badges are laid out. */
const width = (text: string) => Math.round(text.length * 6.5 + 10);

const escape = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A flat two-part badge ("keyhaven 13.1.0 | security update") for an admin page. */
export function renderBadge(status: CheckStatus | 'invalid', version: string | undefined): string {
  const { text, color } = BADGES[status];
  const label = escape(version ? `keyhaven ${version}` : 'keyhaven');
  const labelWidth = width(label);
  const valueWidth = width(text);
  const total = labelWidth + valueWidth;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="20" role="img" aria-label="${label}: ${text}">
<title>${label}: ${text}</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="${total}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="${labelWidth}" height="20" fill="#555"/><rect x="${labelWidth}" width="${valueWidth}" height="20" fill="${color}"/><rect width="${total}" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="${labelWidth / 2}" y="14">${label}</text><text x="${labelWidth + valueWidth / 2}" y="14">${text}</text>
</g>
</svg>
`;
}
