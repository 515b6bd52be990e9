import { containerOf, docker, project } from './docker.js';

/** Docker's own verbs, by compose service name (`./lab chaos` offers the same set). */
export const CHAOS_VERBS = ['kill', 'pause', 'unpause', 'stop', 'start', 'restart', 'disconnect', 'connect'] as const;
export type ChaosVerb = (typeof CHAOS_VERBS)[number];

/**
 * A Docker verb on one compose service: kill, pause, unpause, stop (10 s grace), start, restart;
 * idempotent where Docker is not (pause, unpause, connect, disconnect of a container already so);
 * disconnect and connect on a compose network (`default`, or `coord`: etcd's), re-joining under the
 * service's name so the others still find it.
 */
export async function chaos(verb: string, service: string, network?: 'default' | 'coord'): Promise<void> {
  if (!(CHAOS_VERBS as readonly string[]).includes(verb)) throw new Error(`unknown chaos verb '${verb}'`);
  const id = await containerOf(service);
  const net = `${project}_${network ?? 'default'}`;
  // Idempotent, as a rollback must be: a verb whose end state already holds does nothing (Docker
  // refuses to unpause a running container or to connect one that is connected).
  if (verb === 'pause' || verb === 'unpause') {
    const paused = (await docker(['inspect', '-f', '{{.State.Paused}}', id])).trim() === 'true';
    if (paused === (verb === 'pause')) return;
  }
  if (verb === 'disconnect' || verb === 'connect') {
    const networks = await docker([
      'inspect',
      '-f',
      '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}',
      id,
    ]);
    const connected = networks.trim().split(' ').includes(net);
    if (connected === (verb === 'connect')) return;
    await docker(
      verb === 'connect' ? ['network', 'connect', '--alias', service, net, id] : ['network', 'disconnect', net, id],
    );
    return;
  }
  await docker(verb === 'stop' ? ['stop', '-t', '10', id] : [verb, id]);
}
