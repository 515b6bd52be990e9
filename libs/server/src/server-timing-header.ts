/**
 * `Server-Timing` (W3C): each hop of the lab appends its own entries in front of what its upstream
 * answered, so one response shows the whole chain, outermost hop first:
 * `gw-auth;dur=0.05, gw-ratelimit;dur=0.9, gw-upstream;dur=6.1, gw;dur=7.0, lb-pick;dur=0.01, ...`.
 */
export const SERVER_TIMING = 'server-timing';

/** One entry: `name;dur=<ms with two decimals>`. */
export function timingEntry(name: string, ms: number): string {
  return `${name};dur=${ms.toFixed(2)}`;
}

/** This hop's entries, then the upstream's (a header value, a repeated header, or none). */
export function chainServerTiming(own: readonly string[], upstream: string | readonly string[] | undefined): string {
  const below = upstream === undefined ? [] : typeof upstream === 'string' ? [upstream] : upstream;
  return [...own, ...below].join(', ');
}
