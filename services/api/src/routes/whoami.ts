import type { FastifyInstance } from 'fastify';

export interface WhoamiOptions {
  readonly nodeId: string;
}

/**
 * `GET /v1/whoami`: the cheapest real route (no database, no cache), so lb tests and benchmarks
 * measure the proxy path and see which node answered.
 */
export async function whoamiRoutes(app: FastifyInstance, options: WhoamiOptions): Promise<void> {
  const body = { node: options.nodeId };
  app.get(
    '/v1/whoami',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { node: { type: 'string' } },
            required: ['node'],
            additionalProperties: false,
          },
        },
      },
    },
    async () => body,
  );
}
