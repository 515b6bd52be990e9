import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@sdl/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiErrors } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant the gateway vouched for (x-tenant-id), or DEFAULT_TENANT when none was sent. */
    tenant: string;
  }
}

/** Set by the gateway from the API key's client name, after dropping any client-sent copy. */
export const TENANT_HEADER = 'x-tenant-id';
/** The gateway's shared secret (GATEWAY_SECRET on both sides); the lb forwards it unchanged. */
export const GATEWAY_SECRET_HEADER = 'x-gateway-secret';
/** The tenant of callers that name none, and the owner of accounts created before tenants existed. */
export const DEFAULT_TENANT = 'default';

// The gateway's API_KEYS client names.
const TENANT_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

// Probes stay open to the lb's health checks and Prometheus, which carry no secret.
const OPEN_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

export interface GatewayTrustOptions {
  /** The secret every request must carry in x-gateway-secret; undefined: none asked (tests, local runs). */
  readonly secret: string | undefined;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

/** Whether the request carries the secret; constant time in the presented value. */
function carriesSecret(req: FastifyRequest, expected: Buffer): boolean {
  const presented = single(req.headers[GATEWAY_SECRET_HEADER]);
  return presented !== undefined && timingSafeEqual(digest(presented), expected);
}

/**
 * The api trusts who is calling only from the gateway: with a secret configured, every request but
 * the probes must carry it (else 401 API_ERR_NOT_FROM_GATEWAY, before anything else runs), and the
 * tenant is read from x-tenant-id into `req.tenant` (a malformed one: 400 API_ERR_INVALID_TENANT).
 */
async function gatewayTrust(app: FastifyInstance, options: GatewayTrustOptions): Promise<void> {
  const expected = options.secret === undefined ? undefined : digest(options.secret);
  app.decorateRequest('tenant', DEFAULT_TENANT);
  app.addHook('onRequest', async (req) => {
    if (OPEN_ROUTES.has(req.routeOptions.url ?? '')) return;
    if (expected !== undefined && !carriesSecret(req, expected)) throw new AppError(ApiErrors.notFromGateway);
    const header = req.headers[TENANT_HEADER];
    if (header === undefined) return;
    const tenant = single(header);
    if (tenant === undefined || !TENANT_PATTERN.test(tenant)) throw new AppError(ApiErrors.invalidTenant);
    req.tenant = tenant;
  });
}

export const gatewayTrustPlugin = fp(gatewayTrust, { name: 'gateway-trust', fastify: '5.x' });
