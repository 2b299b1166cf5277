/**
 * RFC 9457 problem details: the one error shape every route answers with, and the one place
 * that turns what went wrong (a thrown error, a failed validation) into it.
 */
import type { z } from '@hono/zod-openapi';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** For batch uploads: the position of the first bad item. */
  readonly index?: number;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  409: 'Conflict',
  410: 'Gone',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

/**
 * A problem+json response.
 * @example problemResponse(400, 'ids: expected an array')
 */
export function problemResponse(
  status: number,
  detail: string,
  extra: { index?: number; headers?: Record<string, string> } = {},
): Response {
  const body: Problem = {
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(extra.index === undefined ? {} : { index: extra.index }),
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', ...extra.headers },
  });
}

/**
 * The 400 for a request that fails its route's schema, naming the field; thrown from
 * validation hooks.
 * @example throw invalidRequest(result.error.issues[0]!) // detail "ids.0: a hashed id must be 32 bytes, got 3"
 */
export function invalidRequest(issue: z.core.$ZodIssue): ProblemError {
  return new ProblemError(400, `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`);
}

/** Thrown inside handlers to answer with a problem; the app's error handler turns it into the response. */
export class ProblemError extends Error {
  override name = 'ProblemError';
  constructor(
    readonly status: number,
    detail: string,
    /** Headers the answer carries, such as Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}
