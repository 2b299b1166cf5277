/**
 * GET /docs: the OpenAPI document rendered as one self-contained HTML page (no scripts or
 * assets from elsewhere, so it works on an offline network too).
 */
import { escapeMarkup } from '../sdk/formats.ts';

interface OpenApiLike {
  info: { title: string; description?: string; version: string };
  paths?: object;
  components?: { schemas?: object };
}

interface Operation {
  summary?: string;
  requestBody?: unknown;
  responses?: unknown;
}

const pretty = (value: unknown) => `<pre>${escapeMarkup(JSON.stringify(value, null, 2))}</pre>`;

/** @example c.html(renderDocs(app.getOpenAPI31Document(config))) */
export function renderDocs(doc: OpenApiLike): string {
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries((methods ?? {}) as Record<string, Operation>).map(
      ([method, op]) =>
        `<section><h2><code>${method.toUpperCase()} ${escapeMarkup(path)}</code></h2><p>${escapeMarkup(op.summary ?? '')}</p>` +
        (op.requestBody ? `<h3>Request</h3>${pretty(op.requestBody)}` : '') +
        `<h3>Responses</h3>${pretty(op.responses ?? {})}</section>`,
    ),
  );
  const schemas = Object.entries(doc.components?.schemas ?? {}).map(
    ([name, schema]) => `<section><h3 id="${escapeMarkup(name)}">${escapeMarkup(name)}</h3>${pretty(schema)}</section>`,
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeMarkup(doc.info.title)} API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:.75rem;overflow:auto}h2 code{font-size:1.1rem}</style></head>
<body><h1>${escapeMarkup(doc.info.title)} API ${escapeMarkup(doc.info.version)}</h1><p>${escapeMarkup(doc.info.description ?? '')}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>${operations.join('')}<h2>Schemas</h2>${schemas.join('')}</body></html>`;
}
