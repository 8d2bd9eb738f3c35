import { createHash, randomUUID } from 'node:crypto';
import { ServiceError } from './errors';

/** Epoch seconds with millisecond precision, the JSON protocols' timestamp format. */
export const epochSeconds = (ms: number = Date.now()): number => Math.round(ms) / 1000;

/** Reads an awsJson timestamp (epoch seconds number, or an ISO string) as epoch milliseconds. */
export function toMs(v: unknown): number | undefined {
  if (typeof v === 'number') return v * 1000;
  if (typeof v === 'string') {
    const n = Number(v);
    if (!Number.isNaN(n)) return n * 1000;
    const d = Date.parse(v);
    return Number.isNaN(d) ? undefined : d;
  }
  return undefined;
}

export const requestId = (): string => randomUUID();

/** Deep copy that drops undefined members (what JSON on the wire would carry). */
export const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** Removes undefined members, so responses carry only what is set. */
export function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * Offset-based pagination with an opaque token bound to the query, as SageMaker
 * and CloudWatch list operations do: `MaxResults`/`MaxRecords` items, then `NextToken`.
 */
export function paginate<T>(
  items: T[],
  maxResults: number,
  nextToken: unknown,
  queryKey: string,
  invalid: () => ServiceError,
): { page: T[]; nextToken?: string } {
  let start = 0;
  if (typeof nextToken === 'string' && nextToken.length > 0) {
    try {
      const parsed = JSON.parse(Buffer.from(nextToken, 'base64url').toString('utf8')) as { o?: unknown; q?: unknown };
      if (typeof parsed.o !== 'number' || parsed.q !== queryKey) throw new Error('mismatch');
      start = parsed.o;
    } catch {
      throw invalid();
    }
  }
  const page = items.slice(start, start + maxResults);
  const next = start + maxResults < items.length
    ? Buffer.from(JSON.stringify({ o: start + maxResults, q: queryKey })).toString('base64url')
    : undefined;
  return next ? { page, nextToken: next } : { page };
}

/** Stable short key of a query's filters, to bind pagination tokens to the query they came from. */
export function queryKey(o: Record<string, unknown>): string {
  const filters = Object.keys(o)
    .sort()
    .filter((k) => k !== 'NextToken' && k !== 'MaxResults' && k !== 'MaxRecords')
    .map((k) => [k, o[k]]);
  return createHash('sha256').update(JSON.stringify(filters)).digest('hex').slice(0, 16);
}
