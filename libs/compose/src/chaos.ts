import { containerOf, docker, project } from './docker.js';

/** Docker's own verbs, by compose service name (`./lab chaos` offers the same set). */
export const CHAOS_VERBS = ['kill', 'pause', 'unpause', 'stop', 'start', 'restart', 'disconnect', 'connect'] as const;
export type ChaosVerb = (typeof CHAOS_VERBS)[number];

/**
 * A Docker verb on one compose service: kill, pause, unpause, stop (10 s grace), start, restart;
 * disconnect and connect on a compose network (`default`, or `coord`: etcd's), re-joining under the
 * service's name so the others still find it.
 */
export async function chaos(verb: string, service: string, network?: 'default' | 'coord'): Promise<void> {
  if (!(CHAOS_VERBS as readonly string[]).includes(verb)) throw new Error(`unknown chaos verb '${verb}'`);
  const id = await containerOf(service);
  const net = `${project}_${network ?? 'default'}`;
  if (verb === 'disconnect') await docker(['network', 'disconnect', net, id]);
  else if (verb === 'connect') await docker(['network', 'connect', '--alias', service, net, id]);
  else await docker(verb === 'stop' ? ['stop', '-t', '10', id] : [verb, id]);
}
