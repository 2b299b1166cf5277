/**
 * Talking to a Crowdfind (or Apple-compatible) server: POST with retries for what can pass
 * (network errors, 429, 5xx), one clear error for what cannot (4xx, with the server's detail).
 */

/** The server refused or could not be reached; `message` is one line for a person. */
export class ServerError extends Error {
  override name = 'ServerError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface HttpOptions {
  /** Attempts after the first for failures that may pass. Default 3. */
  readonly retries?: number;
  /** Injected fetch (tests, custom agents). Default globalThis.fetch. */
  readonly fetch?: typeof fetch;
}

/** The server's base URL, checked, without a trailing slash. */
export function serverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ServerError(`not a server URL: ${text} (write it as http://host:port or https://host)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ServerError(`not an http(s) URL: ${text} (write it as http://host:port or https://host)`);
  return url.href.replace(/\/+$/, '');
}

/**
 * POSTs `body` and returns the parsed JSON answer.
 * @example await post('http://127.0.0.1:3000', '/v1/reports/query', JSON.stringify({ ids }), 'application/json')
 */
export function post(
  server: string,
  path: string,
  body: string | Uint8Array,
  contentType: string,
  options: HttpOptions = {},
): Promise<unknown> {
  return request(server, path, { method: 'POST', body, contentType }, options);
}

/**
 * Any request with the same retries; the parsed JSON answer, or undefined when the answer has no body.
 * @example await request(server, `/v1/subscriptions/${name}`, { method: 'DELETE' })
 */
export async function request(
  server: string,
  path: string,
  { method, body, contentType }: { method: string; body?: string | Uint8Array; contentType?: string },
  options: HttpOptions = {},
): Promise<unknown> {
  const send = options.fetch ?? fetch;
  const retries = options.retries ?? 3;
  const url = serverUrl(server) + path;
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await send(url, {
        method,
        ...(contentType ? { headers: { 'content-type': contentType } } : {}),
        ...(body === undefined ? {} : { body: body as BodyInit }),
      });
    } catch (error) {
      if (attempt >= retries) throw new ServerError(`cannot reach ${server}: ${causeOf(error as Error)}`);
      await pause(attempt);
      continue;
    }
    if (response.ok) {
      const text = await response.text();
      return text === '' ? undefined : JSON.parse(text);
    }
    const retriable = response.status === 429 || response.status >= 500;
    if (!retriable || attempt >= retries)
      throw new ServerError(
        `${server}${path} answered ${response.status}: ${await problemDetail(response)}`,
        response.status,
      );
    await pause(attempt, response.headers.get('retry-after'));
  }
}

async function problemDetail(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const problem = JSON.parse(text) as { detail?: unknown; title?: unknown };
    return String(problem.detail ?? problem.title ?? text);
  } catch {
    return text.slice(0, 200) || response.statusText;
  }
}

function pause(attempt: number, retryAfter?: string | null): Promise<void> {
  const seconds = Number(retryAfter);
  const ms = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 250 * 2 ** attempt;
  return new Promise((resolve) => setTimeout(resolve, Math.min(ms, 10_000)));
}

/** fetch reports "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is in its cause. */
export function causeOf(error: Error): string {
  const cause = error.cause as { message?: string } | undefined;
  return cause?.message ?? error.message;
}
