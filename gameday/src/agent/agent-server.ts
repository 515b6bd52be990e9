import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, extname, join } from 'node:path';
import { listExperiments, loadExperiment } from '../experiment/load-experiment.js';
import type { GameRuns } from './game-runs.js';

export interface AgentOptions {
  /** The console's token: the page sends it as `Authorization: Bearer`, report links as `?token=`. */
  readonly token: string;
  readonly experimentsDir: string;
  readonly reportsDir: string;
  readonly runs: GameRuns;
  /** Origins whose pages may call the agent (the console's, e.g. http://127.0.0.1:8090). */
  readonly origins: readonly string[];
}

interface Problem {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
}

/**
 * The console's own cookie (HttpOnly, SameSite=Strict). Cookies are per host, not per port, so the
 * page on 127.0.0.1:8090 sends it to the agent on 127.0.0.1:8091 (fetch with credentials): the
 * page's script never holds the token.
 */
const COOKIE = 'sdl_console_token';

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

const problem = (status: number, code: string, detail: string): Problem => ({ status, code, detail });
const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.csv': 'text/csv; charset=utf-8',
};

async function readJson(req: IncomingMessage): Promise<unknown> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 1024) throw problem(413, 'AGENT_ERR_BODY_TOO_LARGE', 'bodies are at most 1 KiB');
  }
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw problem(400, 'AGENT_ERR_MALFORMED_JSON', 'the body is not JSON');
  }
}

/**
 * The game-day agent: the one part of the console that runs on the host, because a game day's
 * faults are Docker verbs and the console container has no Docker socket (which would be root on
 * the host for whoever holds the page's token). `./lab console --gamedays` starts it on 127.0.0.1
 * only; the page in the browser calls it directly, with the console's cookie (or the token as
 * `Authorization: Bearer`, or `?token=`):
 *   GET  /gamedays            the experiments and the latest run
 *   POST /gamedays            {"name":"api-node-kill","short":true} -> 202 the run (one at a time: 409)
 *   POST /gamedays/stop       interrupts the run (its rollbacks still run)
 *   GET  /reports/DIR/FILE    a report's files (the run's `report` names DIR)
 */
export function createAgentServer(options: AgentOptions): Server {
  const expected = digest(options.token);
  const authorized = (req: IncomingMessage, url: URL): boolean => {
    const header = req.headers.authorization;
    const presented =
      header?.startsWith('Bearer ') === true ? header.slice(7) : (cookie(req, COOKIE) ?? url.searchParams.get('token'));
    return presented !== null && presented !== undefined && timingSafeEqual(digest(presented), expected);
  };
  // Read and validated once, at the first request, not on each of the page's polls (every 2 s):
  // an experiment added while the agent runs shows after a restart. A failed read is retried.
  const load = async () =>
    Promise.all(
      (await listExperiments(options.experimentsDir)).map(async (file) => {
        const name = basename(file, extname(file));
        const { experiment } = await loadExperiment(options.experimentsDir, name);
        return { name, title: experiment.title, short: experiment.short !== undefined };
      }),
    );
  let listed: ReturnType<typeof load> | undefined;
  const experiments = (): ReturnType<typeof load> => {
    listed ??= load().catch((err: unknown) => {
      listed = undefined;
      throw err;
    });
    return listed;
  };

  const route = async (req: IncomingMessage, url: URL, res: ServerResponse): Promise<void> => {
    const send = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };
    if (!authorized(req, url)) throw problem(401, 'AGENT_ERR_UNAUTHORIZED', 'the console token is required');
    if (req.method === 'GET' && url.pathname === '/gamedays') {
      return send(200, { experiments: await experiments(), run: options.runs.latest ?? null });
    }
    if (req.method === 'POST' && url.pathname === '/gamedays') {
      const body = (await readJson(req)) as { name?: unknown; short?: unknown } | null;
      const name = body?.name;
      const short = body?.short ?? true;
      if (
        typeof name !== 'string' ||
        !NAME.test(name) ||
        typeof short !== 'boolean' ||
        Object.keys(body ?? {}).some((k) => k !== 'name' && k !== 'short')
      )
        throw problem(400, 'AGENT_ERR_VALIDATION', 'body must be {"name": an experiment, "short": true|false}');
      const known = await experiments();
      if (!known.some((e) => e.name === name))
        throw problem(404, 'AGENT_ERR_UNKNOWN_EXPERIMENT', `no experiment '${name}'`);
      if (options.runs.running) throw problem(409, 'AGENT_ERR_RUNNING', 'a game day is running: one at a time');
      return send(202, options.runs.start(name, short));
    }
    if (req.method === 'POST' && url.pathname === '/gamedays/stop') {
      if (!options.runs.stop()) throw problem(409, 'AGENT_ERR_NOT_RUNNING', 'no game day is running');
      return send(202, options.runs.latest);
    }
    const file = /^\/reports\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && file !== null) {
      const [dir, name] = [decodeURIComponent(file[1]!), decodeURIComponent(file[2]!)];
      if (!SEGMENT.test(dir) || !SEGMENT.test(name) || name.includes('..'))
        throw problem(400, 'AGENT_ERR_BAD_PATH', 'a report path is DIR/FILE, plain names only');
      const body = await readFile(join(options.reportsDir, dir, name)).catch(() => undefined);
      if (body === undefined) throw problem(404, 'AGENT_ERR_NOT_FOUND', `no ${dir}/${name}`);
      res.writeHead(200, { 'content-type': TYPES[extname(name)] ?? 'application/octet-stream' }).end(body);
      return;
    }
    throw problem(404, 'AGENT_ERR_NOT_FOUND', `no route ${req.method} ${url.pathname}`);
  };

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    const origin = req.headers.origin;
    if (origin !== undefined && options.origins.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'origin');
      res.setHeader('access-control-allow-headers', 'authorization, content-type');
      res.setHeader('access-control-allow-methods', 'GET, POST');
      res.setHeader('access-control-allow-credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    route(req, url, res).catch((err: unknown) => {
      const p =
        (err as Problem).code?.startsWith('AGENT_ERR_') === true
          ? (err as Problem)
          : problem(500, 'AGENT_ERR_INTERNAL', String(err));
      if (!res.headersSent)
        res
          .writeHead(p.status, { 'content-type': 'application/problem+json' })
          .end(JSON.stringify({ status: p.status, code: p.code, detail: p.detail }));
    });
  });
}
