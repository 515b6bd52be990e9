import type { FastifyInstance, RouteOptions } from 'fastify';

interface JsonSchema {
  readonly properties?: Record<string, unknown>;
  readonly required?: readonly string[];
}

type Operation = Record<string, unknown>;

const HIDDEN = new Set(['/healthz', '/readyz', '/metrics', '/v1/openapi.json']);

/** `/v1/accounts/:id` -> `/v1/accounts/{id}`. */
function toOpenApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}');
}

function parameters(schema: unknown, where: 'path' | 'query'): unknown[] {
  const s = schema as JsonSchema | undefined;
  if (s?.properties === undefined) return [];
  return Object.entries(s.properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (s.required ?? []).includes(name),
    schema: property,
  }));
}

function operation(route: RouteOptions): Operation {
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  const responses: Record<string, unknown> = {};
  for (const [status, body] of Object.entries((schema.response ?? {}) as Record<string, unknown>)) {
    responses[status] = { description: `${status} response`, content: { 'application/json': { schema: body } } };
  }
  responses.default = {
    description: 'error (problem+json with a stable `code`)',
    content: { 'application/problem+json': { schema: { type: 'object', required: ['code'] } } },
  };
  return {
    parameters: [...parameters(schema.params, 'path'), ...parameters(schema.querystring, 'query')],
    ...(schema.body === undefined
      ? {}
      : { requestBody: { required: true, content: { 'application/json': { schema: schema.body } } } }),
    responses,
  };
}

/**
 * Serves `GET /v1/openapi.json`, generated from the route schemas themselves (TypeBox emits JSON
 * Schema), so the document cannot drift from what the validators enforce. Call before the routes
 * are registered: it collects them through the onRoute hook.
 */
export function serveOpenApi(app: FastifyInstance, info: { title: string; version: string }): void {
  const paths: Record<string, Record<string, Operation>> = {};
  app.addHook('onRoute', (route) => {
    if (HIDDEN.has(route.url) || route.url === '*') return;
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    const path = toOpenApiPath(route.url);
    for (const method of methods) (paths[path] ??= {})[method.toLowerCase()] = operation(route);
  });
  app.get('/v1/openapi.json', async () => ({ openapi: '3.1.0', info, paths }));
}
