// farmgate_rules_bench: Google Benchmark of the rules engine's per-reading path: a reading comes
// in, History records it, and the engine evaluates every rule that reads its series.
//
// The farm: 1,000 devices s0001..s1000 of kind `probe` (one metric `m`, 0..100) in 100 zones of
// 10; 1,000 rules. Device rules read one series: `avg(sNNNN.m, 30m) < 30 and age(sNNNN.m) < 15m`.
// Zone rules read the 10 series of their zone: `min(zNNN.probe.m, 30m) < 25 and age(...) < 15m`.
// Values stay around 40, so no rule fires: the cost measured is evaluation, not actions.
// Readings go round-robin over the devices, each device every `period`, on a fake clock that
// advances by period / 1,000 per reading. Before the timing starts History holds an hour of
// readings per series (what it keeps at least); the rules' windows read the last 30 minutes.
//
// Run: build-bench/bench/farmgate_rules_bench --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/log.h"
#include "core/reading.h"
#include "rules/engine.h"

namespace farmgate::bench {
namespace {

using namespace std::chrono_literals;

constexpr int kDevices = 1000;
constexpr int kZoneSize = 10;
constexpr int kRules = 1000;

std::string device_id(int i) {
  char id[16];
  std::snprintf(id, sizeof id, "s%04d", i + 1);
  return id;
}

std::string zone_id(int z) {
  char id[16];
  std::snprintf(id, sizeof id, "z%03d", z + 1);
  return id;
}

config::Rule alarm_rule(std::string name, std::string when) {
  config::Rule r;
  r.name = std::move(name);
  r.when = {std::move(when), 1, 1};
  r.hold = 2min;
  r.cooldown = 6h;
  config::RuleAction a;
  a.kind = config::RuleAction::Kind::alarm;
  a.severity = "warning";
  a.message = "dry";
  r.then = {a};
  return r;
}

// `zone_rules` of the 1,000 rules are zone rules (one per zone, at most 100); the rest are device
// rules, one per device from s0001 on.
config::Config farm(int zone_rules) {
  config::Config c;
  c.timezone = "Asia/Ho_Chi_Minh";
  c.kinds = {{"probe", {{"m", "%", 0, 100}}}};
  for (int z = 0; z < kDevices / kZoneSize; ++z) {
    config::Zone zone;
    zone.id = zone.name = zone_id(z);
    c.zones.push_back(zone);
  }
  for (int i = 0; i < kDevices; ++i) {
    config::Device d;
    d.id = device_id(i);
    d.kind = "probe";
    d.zone = zone_id(i / kZoneSize);
    c.devices.push_back(d);
  }
  for (int z = 0; z < zone_rules; ++z) {
    const std::string ref = zone_id(z) + ".probe.m";
    c.rules.push_back(
        alarm_rule("zone-" + zone_id(z), "min(" + ref + ", 30m) < 25 and age(" + ref + ") < 15m"));
  }
  for (int i = 0; i < kRules - zone_rules; ++i) {
    const std::string ref = device_id(i) + ".m";
    c.rules.push_back(
        alarm_rule("dev-" + device_id(i), "avg(" + ref + ", 30m) < 30 and age(" + ref + ") < 15m"));
  }
  return c;
}

class NullSink final : public rules::ActionSink {
 public:
  Result<std::uint64_t> irrigate(const std::string&, Millis, const std::string&) override {
    return std::uint64_t{1};
  }
  Result<void> stop(const std::string&, const std::string&, const std::string&) override {
    return {};
  }
  bool zone_running(const std::string&) const override { return false; }
  bool run_active(std::uint64_t) const override { return false; }
  void alarm(Severity, const std::string&, const std::string&) override { ++alarms; }
  void publish(const std::string&, const std::string&, bool) override {}
  int alarms = 0;
};

class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view, std::string_view) override {}
};

// The engine over the farm, with an hour of readings already in its History.
struct Bed {
  Bed(int zone_rules, Millis period)
      : config(farm(zone_rules)), engine(config, clock, sink, log), step(period / kDevices) {
    readings.reserve(kDevices);
    for (int i = 0; i < kDevices; ++i) {
      Reading r;
      r.device = device_id(i);
      r.zone = zone_id(i / kZoneSize);
      r.kind = "probe";
      r.metric = "m";
      r.unit = "%";
      readings.push_back(r);
    }
    const auto warm = static_cast<std::int64_t>(1h / period) * kDevices;
    for (std::int64_t k = 0; k < warm; ++k) next();
  }

  // The next reading of the round: the clock moves on by one device's share of the period.
  void next() {
    clock.advance(step);
    Reading& r = readings[static_cast<std::size_t>(cursor)];
    // 40..45 %, varying per device and per round: no rule fires, no series is stuck or spiking.
    r.value = 40 + static_cast<double>((cursor * 31 + round * 17) % 100) / 20.0;
    r.time = clock.now();
    engine.on_reading(r);
    if (++cursor == kDevices) {
      cursor = 0;
      ++round;
    }
  }

  FakeClock clock;
  NullSink sink;
  NullLogger log;
  config::Config config;
  rules::Engine engine;
  Millis step;
  std::vector<Reading> readings;
  int cursor = 0;
  int round = 0;
};

// One reading in, the rules that read its series evaluated.
void BM_RulesPerReading(benchmark::State& state) {
  Bed bed(static_cast<int>(state.range(0)), Millis{state.range(1) * 1000});
  for (auto _ : state) bed.next();
  state.counters["readings/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  if (bed.sink.alarms != 0) state.SkipWithError("a rule fired: the benchmark measures evaluation");
}
BENCHMARK(BM_RulesPerReading)
    ->ArgNames({"zone_rules", "period_s"})
    ->Args({0, 60})
    ->Args({100, 60})
    ->Args({100, 10});

// The once-a-second tick: all 1,000 rules evaluated.
void BM_RulesTick(benchmark::State& state) {
  Bed bed(static_cast<int>(state.range(0)), 60s);
  // At one instant: with time moving and no readings the series would go stale.
  for (auto _ : state) bed.engine.tick();
  state.counters["rules/s"] = benchmark::Counter(static_cast<double>(state.iterations() * kRules),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RulesTick)->ArgNames({"zone_rules"})->Arg(0)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace farmgate::bench

BENCHMARK_MAIN();
