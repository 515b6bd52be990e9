import type { Logger } from '@sdl/logging';
import type { UpstreamHost } from './upstream-host.js';

export interface OutlierSettings {
  /** Consecutive 5xx answers or connect errors that eject a host; 0 turns detection off. */
  readonly consecutiveErrors: number;
  /** First ejection lasts this long, the n-th n times as long... */
  readonly baseEjectionMs: number;
  /** ...up to this. */
  readonly maxEjectionMs: number;
  /** At most this share of the hosts is ejected at once (at least one host may always be). */
  readonly maxEjectionPercent: number;
}

export interface OutlierDetector {
  /** One proxied try's outcome: `error` for a 5xx answer or a connect error. */
  record(host: UpstreamHost, error: boolean): void;
}

/**
 * Passive outlier detection, as Envoy's consecutive_5xx: a host that keeps failing real traffic
 * leaves rotation for a growing time, without waiting for the active checks, but never so many
 * hosts that the rest would be overwhelmed (the cap is what makes a cluster-wide blip survivable).
 */
export function createOutlierDetector(
  settings: OutlierSettings,
  hosts: () => readonly UpstreamHost[],
  logger: Logger,
  onEject: (host: UpstreamHost) => void,
): OutlierDetector {
  const log = logger.child({ component: 'outlier' });
  return {
    record(host, error) {
      const consecutive = host.countOutcome(error);
      if (settings.consecutiveErrors === 0 || consecutive < settings.consecutiveErrors || host.ejected) return;
      const all = hosts();
      const ejected = all.filter((h) => h.ejected).length;
      const cap = Math.max(1, Math.floor((all.length * settings.maxEjectionPercent) / 100));
      if (ejected >= cap) {
        log.warn({ upstream: host.id, ejected, cap }, 'outlier not ejected: too many hosts already out');
        return;
      }
      const durationMs = host.eject(settings.baseEjectionMs, settings.maxEjectionMs);
      onEject(host);
      log.warn({ upstream: host.id, consecutive, durationMs, ejections: host.ejections }, 'upstream ejected');
    },
  };
}
