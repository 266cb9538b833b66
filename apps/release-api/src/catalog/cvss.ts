import { Cvss3P0, Cvss3P1, Cvss4P0 } from 'ae-cvss-calculator';

export type SeverityType = 'CVSS_V3' | 'CVSS_V4';
export type SeverityLevel = 'none' | 'low' | 'medium' | 'high' | 'critical';

export interface Severity {
  type: SeverityType;
  vector: string;
  score: number;
  level: SeverityLevel;
}

const V3 = /^CVSS:3\.[01](\/[A-Za-z]+:[A-Za-z])+$/;
const V4 = /^CVSS:4\.0(\/[A-Za-z]+:[A-Za-z])+$/;

/** The qualitative rating scale of CVSS v3.1 §5 and v4.0 (the same bands). */
export function levelOf(score: number): SeverityLevel {
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

/**
 * The first metric a vector names twice (`AV:N/…/AV:L`), or undefined. The calculator takes the
 * last one silently, so the stored vector would say two things and score one of them.
 */
export function repeatedMetric(vector: string): string | undefined {
  const seen = new Set<string>();
  for (const part of vector.trim().split('/').slice(1)) {
    const metric = part.split(':')[0] ?? '';
    if (seen.has(metric)) return metric;
    seen.add(metric);
  }
  return undefined;
}

/**
 * Scores a CVSS v3.x or v4.0 vector; undefined when it is not a complete base vector (a
 * partial vector would score 0 and hide a real risk behind "none").
 */
export function scoreVector(vector: string): Severity | undefined {
  const text = vector.trim();
  if (repeatedMetric(text)) return undefined;
  try {
    if (V4.test(text)) {
      const cvss = new Cvss4P0(text);
      if (!cvss.isBaseFullyDefined()) return undefined;
      const score = cvss.calculateScores().overall;
      return typeof score === 'number' ? { type: 'CVSS_V4', vector: text, score, level: levelOf(score) } : undefined;
    }
    if (V3.test(text)) {
      const cvss = text.startsWith('CVSS:3.1/') ? new Cvss3P1(text) : new Cvss3P0(text);
      if (!cvss.isBaseFullyDefined()) return undefined;
      const score = cvss.calculateScores().overall;
      return typeof score === 'number' ? { type: 'CVSS_V3', vector: text, score, level: levelOf(score) } : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
