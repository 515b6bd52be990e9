/** The images compose uses, so component tests run against the same servers. */
export interface LabImages {
  readonly redis: string;
  readonly postgres: string;
  readonly etcd: string;
}

/** Offline (the default here: images built by `./lab images`) unless LAB_OFFLINE=0. */
export function labImages(env: Readonly<Record<string, string | undefined>> = process.env): LabImages {
  return env.LAB_OFFLINE === '0'
    ? { redis: 'redis:7-bookworm', postgres: 'postgres:15-bookworm', etcd: 'gcr.io/etcd-development/etcd:v3.5.17' }
    : { redis: 'sdl/redis:7', postgres: 'sdl/postgres:15', etcd: 'sdl/etcd:3.4' };
}
