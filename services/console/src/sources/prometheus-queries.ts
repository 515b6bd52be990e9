/**
 * The PromQL the console asks each round, by name. Windows are short (15 s, 3 scrapes) so a kill
 * shows within seconds; ratios use 1 m so they do not flicker at lab rates.
 */
export const PROMETHEUS_QUERIES = {
  /** 1 per scraped instance that answered its last scrape, else 0 (etcd's members under job `etcd`). */
  up: 'up',
  gatewayRate: 'sum(rate(gateway_proxied_total[15s]))',
  gatewayErrors: 'sum(rate(gateway_proxied_total{status_class="5xx"}[15s]))',
  upstreamRate: 'sum by (upstream) (rate(lb_upstream_requests_total[15s]))',
  upstream5xx: 'sum by (upstream) (rate(lb_upstream_requests_total{status_class="5xx"}[15s]))',
  /** Tries that got no answer (connect, timeout, reset); a client giving up is not the upstream's fault. */
  upstreamFailures: 'sum by (upstream) (rate(lb_upstream_errors_total{kind!="client_abort"}[15s]))',
  cacheHitRatio:
    'sum by (entity) (rate(api_cache_requests_total{result="hit"}[1m])) / sum by (entity) (rate(api_cache_requests_total[1m]))',
  cacheUp: 'min(api_cache_up)',
  fillLease: 'sum by (outcome) (rate(api_cache_fill_lease_total[1m]))',
  /** How each entity is cached, as the nodes report it (two modes for one entity: the nodes differ). */
  cacheMode: 'max by (entity, mode) (api_cache_mode_info)',
  /** Write-back entries not yet in Postgres: the hash all nodes write (each reports it: max) ... */
  writeBackShared: 'max by (entity) (api_cache_write_back_pending{queue="shared"})',
  /** ... plus each node's flush in progress or retried. */
  writeBackNode: 'sum by (entity, node) (api_cache_write_back_pending{queue="node"})',
  /** Consumer lag as each member computes it from its fetches (the mock Kafka lists no group offsets). */
  consumerLag: 'max by (group, topic, partition) (events_consumer_lag)',
  /** The groups the api nodes are members of, with the partitions they hold (rows before any lag). */
  consumerAssigned: 'sum by (group, topic) (api_kafka_assigned_partitions)',
  /** Exporters of the stores (when Prometheus scrapes them): one sample per target, 1 = up. */
  redisUp: 'redis_up',
  pgUp: 'pg_up',
  replicaLag: 'max by (shard) (api_replica_lag_seconds)',
  replicaUp: 'max by (shard) (api_replica_up)',
  outboxPending: 'max by (shard) (api_outbox_pending)',
  relayLeader: 'max by (shard, node) (api_outbox_relay_leader) == 1',
  /** Checks, not requests (a gateway lease covers a batch); results allowed|denied|failed_open|failed_closed|unlimited. */
  limiterChecks: 'sum by (rule, result) (rate(ratelimiter_checks_total[1m]))',
  /** What the shadow rules would have decided (they never deny). */
  limiterShadow: 'sum by (rule, result) (rate(ratelimiter_shadow_decisions_total[1m]))',
  /*
   * SLOs: the recording rules generated from infra/slo/slos.yaml (the game days' one definition),
   * labelled {slo, slo_class, sli}; the console reads their output and defines nothing itself.
   */
  sloObjective: 'slo:objective:ratio',
  sloBudgetRemaining: 'slo:error_budget_remaining:ratio',
  sloError5m: 'slo:sli_error:ratio_rate5m',
  sloError1h: 'slo:sli_error:ratio_rate1h',
  sloBurnAlerts: 'max by (slo, sli, severity) (ALERTS{alertname="SloErrorBudgetBurn", alertstate="firing"})',
  billingCharges: 'sum(rate(billing_charges_total[1m]))',
  fenceRejections: 'sum(rate(billing_fence_rejections_total[1m]))',
} as const;

export type MetricName = keyof typeof PROMETHEUS_QUERIES;
