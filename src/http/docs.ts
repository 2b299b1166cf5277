/**
 * GET /docs: the OpenAPI document rendered as a reference a person can read, on one
 * self-contained page (no scripts or assets from elsewhere, so it works on an offline network
 * and fits the Worker): a table of contents, then each route with its request and answer as
 * tables whose named shapes link to their own section, an example request and answer, and the
 * problems it answers with. The OpenAPI document is the one source; nothing here is typed twice.
 */
import { TIME_RULE } from '../contract/times.ts';
import { escapeMarkup } from '../sdk/formats.ts';

/** The parts of an OpenAPI 3.1 document this page reads. */
interface OpenApiDocument {
  info: { title: string; description?: string; version: string };
  paths?: Record<string, Record<string, Operation | undefined> | undefined>;
  components?: { schemas?: Record<string, Schema> };
}

interface Operation {
  summary?: string;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  description?: string;
  example?: unknown;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  nullable?: boolean;
}

const html = escapeMarkup;
/** Text from the document, with its `code` spans set as code. */
const prose = (text: string | undefined) => html(text ?? '').replace(/`([^`]+)`/g, '<code>$1</code>');
const refName = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1);
const operationId = (method: string, path: string) => `${method}${path}`.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
const schemaId = (name: string) => `schema-${name}`;

/** The example a schema gives, or one built from its shape. */
function exampleOf(schema: Schema | undefined, doc: OpenApiDocument, depth = 0): unknown {
  if (!schema || depth > 8) return null;
  if (schema.$ref) return exampleOf(doc.components?.schemas?.[refName(schema.$ref)], doc, depth + 1);
  if (schema.example !== undefined) return schema.example;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  const variant = schema.anyOf ?? schema.oneOf;
  if (variant?.length) return exampleOf(variant.find((s) => s.type !== 'null') ?? variant[0], doc, depth + 1);
  switch (Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type) {
    case 'object':
      // Optional fields appear only where the schema gives them an example: a type's placeholder says nothing.
      return Object.fromEntries(
        Object.entries(schema.properties ?? {})
          .filter(([name, property]) => schema.required?.includes(name) || property.example !== undefined)
          .map(([name, property]) => [name, exampleOf(property, doc, depth + 1)]),
      );
    case 'array':
      return [exampleOf(schema.items, doc, depth + 1)];
    case 'integer':
    case 'number':
      return schema.minimum ?? 0;
    case 'boolean':
      return true;
    case 'string':
      return schema.format === 'binary' ? '(binary)' : 'string';
    default:
      return null;
  }
}

/** A schema's type as a person reads it, named shapes linked to their section. */
function typeOf(schema: Schema | undefined): string {
  if (!schema) return 'any';
  if (schema.$ref) {
    const name = refName(schema.$ref);
    return `<a href="#${schemaId(name)}">${html(name)}</a>`;
  }
  const variant = schema.anyOf ?? schema.oneOf;
  if (variant) return variant.map(typeOf).join(' or ');
  if (schema.const !== undefined) return `<code>${html(JSON.stringify(schema.const))}</code>`;
  if (schema.enum) return schema.enum.map((value) => `<code>${html(JSON.stringify(value))}</code>`).join(' or ');
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  return (
    types.map((t) => (t === 'array' ? `array of ${typeOf(schema.items)}` : t)).join(' or ') +
      (schema.format ? ` (${html(schema.format)})` : '') || 'any'
  );
}

/** What a field must satisfy beyond its type, in words. */
function limitsOf(schema: Schema): string {
  const limits: string[] = [];
  if (schema.minimum !== undefined) limits.push(`at least ${schema.minimum}`);
  if (schema.maximum !== undefined) limits.push(`at most ${schema.maximum}`);
  const items = (n: number) => `${n} item${n === 1 ? '' : 's'}`;
  if (schema.minItems !== undefined) limits.push(`at least ${items(schema.minItems)}`);
  if (schema.maxItems !== undefined) limits.push(`at most ${items(schema.maxItems)}`);
  if (schema.items?.minimum !== undefined) limits.push(`each at least ${schema.items.minimum}`);
  if (schema.default !== undefined) limits.push(`default ${JSON.stringify(schema.default)}`);
  return limits.join('; ');
}

/** An object's fields as a table; nested objects get a table of their own below it. */
function fieldsTable(schema: Schema, caption: string): string {
  const nested: string[] = [];
  const rows = Object.entries(schema.properties ?? {}).map(([name, field]) => {
    const inner = field.type === 'array' ? field.items : field;
    if (inner?.type === 'object' && inner.properties) nested.push(fieldsTable(inner, `${caption}.${name}`));
    const limits = limitsOf(field);
    const description = `${field.description ?? inner?.description ?? ''}${limits ? ` (${limits})` : ''}`;
    return (
      `<tr><td><code>${html(name)}</code></td><td>${typeOf(field)}</td>` +
      `<td>${schema.required?.includes(name) ? 'yes' : ''}</td><td>${prose(description)}</td></tr>`
    );
  });
  if (rows.length === 0) return `<p>${typeOf(schema)}${schema.description ? `: ${prose(schema.description)}` : ''}</p>`;
  return (
    `<table><caption>${html(caption)}</caption><thead><tr><th>field</th><th>type</th><th>required</th>` +
    `<th>meaning</th></tr></thead><tbody>${rows.join('')}</tbody></table>${nested.join('')}`
  );
}

/** A body: its media type, the named shape it is (linked), and that shape's fields. */
function bodyOf(mediaType: string, schema: Schema | undefined, doc: OpenApiDocument): string {
  const named = schema?.$ref ? refName(schema.$ref) : undefined;
  const resolved = named ? doc.components?.schemas?.[named] : schema;
  return (
    `<p><code>${html(mediaType)}</code>${named ? `: ${typeOf(schema)}` : ''}</p>` +
    (resolved ? fieldsTable(resolved, named ?? mediaType) : '')
  );
}

const pretty = (value: unknown) => `<pre>${html(JSON.stringify(value, null, 2))}</pre>`;

function operationSection(method: string, path: string, op: Operation, doc: OpenApiDocument): string {
  const title = `${method.toUpperCase()} ${path}`;
  const request = Object.entries(op.requestBody?.content ?? {});
  const responses = Object.entries(op.responses ?? {});
  const success = responses.filter(([status]) => status.startsWith('2'));
  const problems = responses.filter(([status]) => !status.startsWith('2'));
  const jsonRequest = request.find(([type]) => type.includes('json'));
  const jsonAnswer = success
    .flatMap(([, r]) => Object.entries(r.content ?? {}))
    .find(([type]) => type.includes('json'));
  return (
    `<section id="${operationId(method, path)}"><h2><code>${html(title)}</code></h2><p>${prose(op.summary)}</p>` +
    (request.length
      ? `<h3>Request</h3>${request.map(([type, body]) => bodyOf(type, body.schema, doc)).join('')}`
      : '') +
    (jsonRequest ? `<h4>Example request</h4>${pretty(exampleOf(jsonRequest[1].schema, doc))}` : '') +
    `<h3>Answer</h3>` +
    success
      .map(
        ([status, r]) =>
          `<p><b>${html(status)}</b> ${prose(r.description)}</p>` +
          Object.entries(r.content ?? {})
            .map(([type, body]) => bodyOf(type, body.schema, doc))
            .join(''),
      )
      .join('') +
    (jsonAnswer ? `<h4>Example answer</h4>${pretty(exampleOf(jsonAnswer[1].schema, doc))}` : '') +
    (problems.length
      ? `<h3>Problems</h3><p>As <a href="#${schemaId('Problem')}">Problem</a> (<code>application/problem+json</code>):</p><ul>` +
        problems.map(([status, r]) => `<li><b>${html(status)}</b> ${prose(r.description)}</li>`).join('') +
        '</ul>'
      : '') +
    '</section>'
  );
}

const STYLE =
  'body{font:15px/1.5 system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}' +
  'pre{background:#f4f4f4;padding:.75rem;overflow:auto}table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}' +
  'th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}caption{text-align:left;color:#555}' +
  'section{border-top:1px solid #ccc;margin-top:2rem}h2 code{font-size:1.1rem}nav li{margin:.15rem 0}';

/** @example c.html(renderDocs(app.getOpenAPI31Document(config))) */
export function renderDocs(document: { info: OpenApiDocument['info']; paths?: object; components?: object }): string {
  // The generator's types are wider than what it writes; this page reads the parts typed above.
  const doc = document as OpenApiDocument;
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods ?? {}).flatMap(([method, op]) => (op ? [{ method, path, op }] : [])),
  );
  const schemas = Object.entries(doc.components?.schemas ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const contents =
    '<nav><h2>Contents</h2><ul>' +
    operations
      .map(
        ({ method, path, op }) =>
          `<li><a href="#${operationId(method, path)}"><code>${html(`${method.toUpperCase()} ${path}`)}</code></a> ${prose(op.summary)}</li>`,
      )
      .join('') +
    `<li><a href="#schemas">Shapes</a>: ${schemas.map(([name]) => `<a href="#${schemaId(name)}">${html(name)}</a>`).join(', ')}</li></ul></nav>`;
  const shapes = schemas.map(
    ([name, schema]) =>
      `<section id="${schemaId(name)}"><h3>${html(name)}</h3>${fieldsTable(schema, name)}<h4>Example</h4>${pretty(exampleOf(schema, doc))}</section>`,
  );
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${html(doc.info.title)} API</title><style>${STYLE}</style></head><body>` +
    `<h1>${html(doc.info.title)} API ${html(doc.info.version)}</h1><p>${prose(doc.info.description)}</p>` +
    `<p>Ids are standard base64 of 32-byte hashed advertisement keys, payloads standard base64 of 88- or 89-byte reports. ${html(TIME_RULE)} ` +
    `Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>` +
    contents +
    operations.map(({ method, path, op }) => operationSection(method, path, op, doc)).join('') +
    `<section id="schemas"><h2>Shapes</h2>${shapes.join('')}</section></body></html>`
  );
}
