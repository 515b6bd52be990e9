import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Compose's project name (.env sets it; the environment overrides it, as it does for compose). */
export const project = process.env.COMPOSE_PROJECT_NAME ?? 'sdl';

/** The compose file's api nodes (docker-compose.yml: api-1..3, admin port 9902). */
export const API_NODES: readonly string[] = ['api-1', 'api-2', 'api-3'];

/*
 * These helpers reach containers with the docker CLI and compose's own container labels. The
 * compose CLI (docker-compose 1.29 is Python) takes 1.3 to 7.7 s per call on the loaded 2-core
 * machine, as long as the waits of the tests that observe elections and locks; the docker CLI takes
 * 0.1 to 0.5 s (docs/benchmarks.md, "Fresh-machine CI failures"). The e2e tests, bench/ and the
 * game days (gameday/) all use them.
 */

/** Runs the docker CLI; returns stdout (throws with stderr on a non-zero exit). Default timeout 60 s. */
export async function docker(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await execFileAsync('docker', [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** The id of a compose service's container (running or not). */
export async function containerOf(service: string): Promise<string> {
  const out = await docker([
    'ps',
    '-a',
    '-q',
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--filter',
    `label=com.docker.compose.service=${service}`,
  ]);
  const id = out.trim().split('\n')[0] ?? '';
  if (id === '') throw new Error(`no container for compose service '${service}'`);
  return id;
}

/** A field of `docker inspect` of the service's container, e.g. `{{.State.Running}}`. */
export async function inspect(service: string, format: string): Promise<string> {
  return (await docker(['inspect', '-f', format, await containerOf(service)])).trim();
}

/** Whether the service's container is running. */
export async function isRunning(service: string): Promise<boolean> {
  return (await inspect(service, '{{.State.Running}}')) === 'true';
}

/** When the service's container last stopped (ms since the epoch; Docker's own record of the exit). */
export async function stoppedAt(service: string): Promise<number> {
  return Date.parse(await inspect(service, '{{.State.FinishedAt}}'));
}

const labPath = fileURLToPath(new URL('../../../lab', import.meta.url));

/**
 * Waits until each service's container (every container of the cluster when none is named) runs
 * and passes its own healthcheck, run now by `./lab ready`: Docker itself runs the checks only every
 * 5 minutes or so (each container its own interval), so its health status lags a restart
 * (docker-compose.yml). Default 90 s.
 */
export async function waitReady(services: readonly string[], timeoutMs = 90_000): Promise<void> {
  await execFileAsync(labPath, ['ready', ...services], {
    timeout: timeoutMs + 15_000,
    env: { ...process.env, LAB_READY_TIMEOUT: String(Math.ceil(timeoutMs / 1000)) },
  });
}

/** Waits until the service's container passes its own healthcheck (see waitReady; default 90 s). */
export async function waitHealthy(service: string, timeoutMs = 90_000): Promise<void> {
  await waitReady([service], timeoutMs);
}

/** Runs a command inside a service's container (no port is published for it); returns stdout. */
export async function execIn(service: string, command: readonly string[], timeoutMs = 60_000): Promise<string> {
  return docker(['exec', await containerOf(service), ...command], timeoutMs);
}

/** GET on a service's own port from inside its container; returns the parsed JSON body. */
export async function getInside(service: string, port: number, path: string): Promise<unknown> {
  const script = `fetch('http://127.0.0.1:${port}${path}').then(r => r.text()).then(t => process.stdout.write(t))`;
  return JSON.parse(await execIn(service, ['node', '-e', script])) as unknown;
}

/**
 * An HTTP request to a service's own (unpublished) port, from inside its container; the raw
 * answer. For admin routes and metrics that no published port serves.
 */
export async function inside(
  service: string,
  port: number,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const init =
    body === undefined
      ? `{ method: '${method}' }`
      : `{ method: '${method}', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(JSON.stringify(body))} }`;
  const script = `fetch('http://127.0.0.1:${port}${path}', ${init}).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, text: await r.text() })))`;
  return JSON.parse(await execIn(service, ['node', '-e', script], 20_000)) as { status: number; text: string };
}

/**
 * A query on a shard primary, via psql in its container over the local socket (trusted there: the
 * password is a secret this side never sees); the rows, each a list of fields.
 */
export async function onShard(shard: number, sql: string): Promise<string[][]> {
  const psql = ['psql', '-U', 'lab', '-d', 'lab', '-tAc', sql];
  const out = await execIn(`pg-${shard}-primary`, psql);
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('|'));
}

/**
 * GETs every url at once from inside the first running container of `via` (services reach each
 * other by name on the compose network): one snapshot of several nodes, taken within milliseconds,
 * so a change between two reads cannot make them disagree. A url that does not answer 200 within
 * `timeoutMs` (its container stopped, paused or not ready) yields null.
 */
export async function getAllFrom(
  via: readonly string[],
  urls: readonly string[],
  timeoutMs = 5000,
): Promise<Array<string | null>> {
  for (const service of via) {
    if (!(await isRunning(service).catch(() => false))) continue;
    const script = `Promise.all(${JSON.stringify(urls)}.map((url) =>
      fetch(url, { signal: AbortSignal.timeout(${timeoutMs}) })
        .then((r) => (r.ok ? r.text() : null))
        .catch(() => null),
    )).then((all) => process.stdout.write(JSON.stringify(all)))`;
    return JSON.parse(await execIn(service, ['node', '-e', script], timeoutMs + 30_000)) as Array<string | null>;
  }
  throw new Error(`none of ${via.join(', ')} is running`);
}
