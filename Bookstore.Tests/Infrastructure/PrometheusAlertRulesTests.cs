using System.Diagnostics;
using Bookstore.AppHost.Redis;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Infrastructure;

/// <summary>
/// The shipped alert rules (<c>prometheus/alerts.yml</c>) checked by promtool: the file is valid, and each rule fires on
/// the series its condition describes and stays quiet on a healthy deployment (<c>promtool test rules</c>).
/// </summary>
[Trait("Category", "Infrastructure")]
public sealed class PrometheusAlertRulesTests
{
    public static string RulesPath => Path.Combine(AppHostModelTests.RepositoryRoot(), "prometheus", "alerts.yml");

    [Fact]
    public async Task ShippedRulesPassPromtoolCheck()
    {
        var (exitCode, output) = await PromtoolAsync(["check", "rules", RulesPath]);
        Assert.True(exitCode == 0, output);
        Assert.Contains("SUCCESS: 8 rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EachRuleFiresOnItsConditionAndNotOnAHealthyDeployment()
    {
        using var directory = new TemporaryDirectory("bookstore-rules-");
        var tests = Path.Combine(directory.Path, "alerts.test.yml");
        await File.WriteAllTextAsync(tests, RuleTests.Replace("{{RULES}}", RulesPath, StringComparison.Ordinal), TestContext.Current.CancellationToken);

        var (exitCode, output) = await PromtoolAsync(["test", "rules", tests]);
        Assert.True(exitCode == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    internal static async Task<(int ExitCode, string Output)> PromtoolAsync(IEnumerable<string> args)
    {
        var promtool = RedisModeResolver.FindOnPath("promtool")
            ?? throw new InvalidOperationException("promtool is not on PATH; install the Debian package 'prometheus' (.ci/run does).");
        var startInfo = new ProcessStartInfo(promtool, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(startInfo)!;
        var ct = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await stdout + await stderr);
    }

    // Series named as api and worker export them (see AppHostAlertRulesTests, which checks the names on a running
    // deployment). Each case: the condition for longer than the rule's "for", and a healthy series next to it that
    // must not alert (promtool fails a test when an alert fires that exp_alerts does not list).
    private const string RuleTests = """
        rule_files:
          - {{RULES}}
        evaluation_interval: 1m
        tests:
          # The single topology: one node. Its loss is RedisDown, not RedisNodeDown as well.
          - interval: 1m
            input_series:
              - series: 'bookstore_redis_connection_state{job="api", instance="a:1", endpoint="127.0.0.1:6379"}'
                values: '1 1 0x5'
              - series: 'bookstore_redis_connection_state{job="worker", instance="w:1", endpoint="127.0.0.1:6379"}'
                values: '1x7'
            alert_rule_test:
              - eval_time: 1m
                alertname: RedisDown
                exp_alerts: []
              - eval_time: 5m
                alertname: RedisDown
                exp_alerts:
                  - exp_labels: { severity: critical, job: api, instance: "a:1" }
                    exp_annotations:
                      summary: "api (a:1) is connected to no Redis node that takes writes"
                      description: "The service serves from its store and L1 while Redis is away; reads are slower and the other replicas' L1 are not invalidated."
              - eval_time: 5m
                alertname: RedisNodeDown
                exp_alerts: []

          # The replicated topology as the services export it today (no role): the primary killed and replaced by
          # Sentinel on api replica a:1 is a node down, not Redis down; both nodes gone on a:2 is Redis down.
          - interval: 1m
            input_series:
              - series: 'bookstore_redis_connection_state{job="api", instance="a:1", endpoint="127.0.0.1:7001"}'
                values: '1 1 0x5'
              - series: 'bookstore_redis_connection_state{job="api", instance="a:1", endpoint="127.0.0.1:7002"}'
                values: '1x7'
              - series: 'bookstore_redis_connection_state{job="api", instance="a:2", endpoint="127.0.0.1:7001"}'
                values: '1 1 0x5'
              - series: 'bookstore_redis_connection_state{job="api", instance="a:2", endpoint="127.0.0.1:7002"}'
                values: '1 1 0x5'
            alert_rule_test:
              - eval_time: 5m
                alertname: RedisDown
                exp_alerts:
                  - exp_labels: { severity: critical, job: api, instance: "a:2" }
                    exp_annotations:
                      summary: "api (a:2) is connected to no Redis node that takes writes"
                      description: "The service serves from its store and L1 while Redis is away; reads are slower and the other replicas' L1 are not invalidated."
              - eval_time: 5m
                alertname: RedisNodeDown
                exp_alerts:
                  - exp_labels: { severity: warning, job: api, instance: "a:1", endpoint: "127.0.0.1:7001" }
                    exp_annotations:
                      summary: "api (a:1) cannot reach Redis node 127.0.0.1:7001"
                      description: "Start the node again: it rejoins as a replica of the current primary (the AppHost asks the Sentinels first)."

          # With the node's role on the series: the primary gone and not replaced is Redis down although the replica
          # answers (a:1); replaced by Sentinel (the replica's series now says primary) it is a node down (a:2).
          - interval: 1m
            input_series:
              - series: 'bookstore_redis_connection_state{job="api", instance="a:1", endpoint="127.0.0.1:7001", role="primary"}'
                values: '1 1 0x5'
              - series: 'bookstore_redis_connection_state{job="api", instance="a:1", endpoint="127.0.0.1:7002", role="replica"}'
                values: '1x7'
              - series: 'bookstore_redis_connection_state{job="api", instance="a:2", endpoint="127.0.0.1:7001", role="primary"}'
                values: '1 1 0x5'
              - series: 'bookstore_redis_connection_state{job="api", instance="a:2", endpoint="127.0.0.1:7002", role="replica"}'
                values: '1 1 1 _x4'
              - series: 'bookstore_redis_connection_state{job="api", instance="a:2", endpoint="127.0.0.1:7002", role="primary"}'
                values: '_ _ _ 1x4'
            alert_rule_test:
              - eval_time: 5m
                alertname: RedisDown
                exp_alerts:
                  - exp_labels: { severity: critical, job: api, instance: "a:1" }
                    exp_annotations:
                      summary: "api (a:1) is connected to no Redis node that takes writes"
                      description: "The service serves from its store and L1 while Redis is away; reads are slower and the other replicas' L1 are not invalidated."
              - eval_time: 5m
                alertname: RedisNodeDown
                exp_alerts:
                  - exp_labels: { severity: warning, job: api, instance: "a:2", endpoint: "127.0.0.1:7001", role: primary }
                    exp_annotations:
                      summary: "api (a:2) cannot reach Redis node 127.0.0.1:7001"
                      description: "Start the node again: it rejoins as a replica of the current primary (the AppHost asks the Sentinels first)."

          - interval: 1m
            input_series:
              # books: 120 lookups a minute (2/s), half of them hits; recommendations: 95 % hits.
              - series: 'bookstore_cache_requests_total{job="api", cache_type="books", cache_level="l2", cache_outcome="hit"}'
                values: '0+60x15'
              - series: 'bookstore_cache_requests_total{job="api", cache_type="books", cache_level="l2", cache_outcome="miss"}'
                values: '0+60x15'
              - series: 'bookstore_cache_requests_total{job="api", cache_type="recommendations", cache_level="l1", cache_outcome="hit"}'
                values: '0+114x15'
              - series: 'bookstore_cache_requests_total{job="api", cache_type="recommendations", cache_level="l2", cache_outcome="miss"}'
                values: '0+6x15'
              # sessions: 1 hit in 10, but only 10 lookups a minute, too few to alert on.
              - series: 'bookstore_cache_requests_total{job="api", cache_type="sessions", cache_level="l2", cache_outcome="hit"}'
                values: '0+1x15'
              - series: 'bookstore_cache_requests_total{job="api", cache_type="sessions", cache_level="l2", cache_outcome="miss"}'
                values: '0+9x15'
            alert_rule_test:
              - eval_time: 12m
                alertname: RedisCacheHitRatioLow
                exp_alerts:
                  - exp_labels: { severity: warning, cache_type: books }
                    exp_annotations:
                      summary: "Cache hit ratio of books is 50% (below 80 %) for 5 minutes"

          - interval: 1m
            input_series:
              - series: 'bookstore_redis_memory_used_bytes{job="api"}'
                values: '500 950x10'
              - series: 'bookstore_redis_memory_max_bytes{job="api"}'
                values: '1000x10'
              # No maxmemory (0): never a ratio.
              - series: 'bookstore_redis_memory_used_bytes{job="worker"}'
                values: '950x10'
              - series: 'bookstore_redis_memory_max_bytes{job="worker"}'
                values: '0x10'
            alert_rule_test:
              - eval_time: 3m
                alertname: RedisMemoryNearMax
                exp_alerts: []
              - eval_time: 7m
                alertname: RedisMemoryNearMax
                exp_alerts:
                  - exp_labels: { severity: warning, job: api }
                    exp_annotations:
                      summary: "Redis uses 95% of its maxmemory"
                      description: "Above maxmemory Redis evicts keys with a TTL (volatile-* policy); writes of keys without one fail."

          - interval: 1m
            input_series:
              - series: 'bookstore_redis_keys_evicted_total{job="api"}'
                values: '0+30x20'
              - series: 'bookstore_redis_keys_evicted_total{job="worker"}'
                values: '7x20'
            alert_rule_test:
              - eval_time: 18m
                alertname: RedisEvictionsRising
                exp_alerts:
                  - exp_labels: { severity: warning, job: api }
                    exp_annotations:
                      summary: "Redis evicts 500m keys a second under maxmemory"

          - interval: 1m
            input_series:
              - series: 'bookstore_redis_slowlog_length{job="api"}'
                values: '0+1x25'
              - series: 'bookstore_redis_slowlog_length{job="worker"}'
                values: '128x25'
            alert_rule_test:
              - eval_time: 22m
                alertname: RedisSlowLogGrowing
                exp_alerts:
                  - exp_labels: { severity: warning, job: api }
                    exp_annotations:
                      summary: "The Redis slow log grew by 10 entries in 10 minutes"
                      description: "See SLOWLOG GET (or the dashboard's Redis commands) for the commands above slowlog-log-slower-than."

          - interval: 1m
            input_series:
              - series: 'bookstore_redis_replication_lag_bytes{job="api"}'
                values: '0 0 5000000x5'
              - series: 'bookstore_redis_replication_lag_bytes{job="worker"}'
                values: '0x7'
            alert_rule_test:
              - eval_time: 3m
                alertname: RedisReplicationLagHigh
                exp_alerts: []
              - eval_time: 5m
                alertname: RedisReplicationLagHigh
                exp_alerts:
                  - exp_labels: { severity: warning, job: api }
                    exp_annotations:
                      summary: "The Redis replica is 4.768MiB behind its primary"

          - interval: 1m
            input_series:
              # Runs completed for a while, then the first failed run: its series appears with the failure.
              - series: 'bookstore_warmer_run_duration_seconds_count{job="worker", result="completed"}'
                values: '1+1x40'
              - series: 'bookstore_warmer_run_duration_seconds_count{job="worker", result="failed"}'
                values: '_x35 1x5'
            alert_rule_test:
              - eval_time: 34m
                alertname: CacheWarmerFailing
                exp_alerts: []
              - eval_time: 36m
                alertname: CacheWarmerFailing
                exp_alerts:
                  - exp_labels: { severity: warning, job: worker, result: failed }
                    exp_annotations:
                      summary: "The cache warmer failed runs or items in the last 30 minutes"
                      description: "GET /warming on the worker shows the last run; reads stay correct but the first ones are misses."
        """;
}
