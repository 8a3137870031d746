#include "gateway/replay.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <variant>

#include "config/loader.h"
#include "core/metrics.h"
#include "gateway/store/store.h"
#include "rules/check.h"

namespace farmgate::gateway {
namespace {

namespace fs = std::filesystem;

// 2026-11-01 00:00 in Asia/Ho_Chi_Minh (+07).
constexpr std::int64_t kDay1 = 1'793'466'000'000;
constexpr std::int64_t kMinute = 60'000;

constexpr const char* kFarm = R"(
site: test-farm
timezone: Asia/Ho_Chi_Minh
zones: [{id: z1}, {id: z2}]
kinds:
  soil:
    moisture: {unit: "%", min: 0, max: 100}
  flow:
    rate: {unit: L/min, min: 0, max: 500}
devices:
  - {id: soil-z1, kind: soil, zone: z1}
  - {id: soil-z2, kind: soil, zone: z2}
  - {id: flow-main, kind: flow}
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 25m, min_off: 2m, driver: {type: simulated}}
  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 30m, driver: {type: simulated}}
  - {id: valve-z2, type: valve, line: main, zone: z2, max_runtime: 30m, driver: {type: simulated}}
lines:
  - id: main
    max_open_valves: 1
    flow: {meter: flow-main, min_lpm: 2}
rules:
  - name: water-z1-when-dry
    hysteresis: {value: z1.soil.moisture, start_below: 30, stop_above: 45}
    for: 2m
    cooldown: 30m
    then:
      irrigate: {zone: z1, for: 20m}
  - name: water-z2-when-dry
    hysteresis: {value: z2.soil.moisture, start_below: 30, stop_above: 45}
    for: 2m
    cooldown: 30m
    then:
      irrigate: {zone: z2, for: 20m}
)";

config::Config load_farm() {
  auto loaded = config::load_config_text(kFarm + 1, "farm.yaml",
                                         [](std::string_view) { return std::nullopt; });
  if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&loaded)) {
    ADD_FAILURE() << errors->front().to_string();
    return {};
  }
  auto c = std::get<config::Config>(std::move(loaded));
  const auto rule_errors = rules::check_rules(c);
  EXPECT_TRUE(rule_errors.empty()) << rule_errors.front().to_string();
  return c;
}

// z1's soil moisture over two days, `t` minutes after day 1's local midnight: it dries 1 %/h,
// and twice (after the rule's first two runs) it rises 4 % per 5 min until 46 %.
double moisture(int t) {
  if (t <= 605) return 40.0 - t / 60.0;                 // 10:05 is the first reading below 30
  if (t <= 625) return 30.0 + 4.0 * (t - 605) / 5.0;    // watered: 46 at 10:25
  if (t <= 1590) return 46.0 - (t - 625) / 60.0;        // day 2 02:30 is below 30 again
  if (t <= 1610) return 30.0 + 4.0 * (t - 1590) / 5.0;  // watered: 46 at 02:50
  return 46.0 - (t - 1610) * 0.2 / 60.0;                // then dries slowly
}

class NoEvents final : public EventSink {
 public:
  void raise(Event) override {}
};

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/farmgate-replay-XXXXXX";
    dir_ = mkdtemp(tmpl);
    config_ = load_farm();
    config_.store.path = dir_ + "/farmgate.db";
    auto site = rules::SiteTime::load(config_.timezone);
    ASSERT_TRUE(site.ok());
    site_.emplace(std::move(site).value());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Two days of a drying zone z1, a reading every 5 minutes, written through the real Store;
  // the flow meter read 12 L/min while the first run's water flowed, 0 otherwise.
  void write_two_days() {
    store::StoreOptions options;
    options.config.path = config_.store.path;
    options.config.batch_interval = Millis{5};
    FakeClock clock(from_epoch_ms(kDay1 + 2 * 24 * 60 * kMinute));
    Metrics metrics;
    MemoryLogger log;
    NoEvents events;
    auto store = store::Store::open(options, clock, metrics, log, events);
    ASSERT_TRUE(store.ok()) << store.error().message;
    (*store)->start([](std::uint64_t) {});
    std::uint64_t seq = 0;
    for (int t = 0; t < 2 * 24 * 60; t += 5) {
      const Timestamp at = from_epoch_ms(kDay1 + t * kMinute);
      (*store)->submit(++seq, {Reading{"soil-z1", "z1", "soil", "moisture", moisture(t), "%", at}});
      const double lpm = (t >= 610 && t <= 620) ? 12.0 : 0.0;
      (*store)->submit(++seq, {Reading{"flow-main", "", "flow", "rate", lpm, "L/min", at}});
    }
    (*store)->flush();
    (*store)->stop();
  }

  ReplayReport run(std::int64_t from_ms, std::int64_t to_ms) {
    auto reader = store::HistoryReader::open(config_.store.path);
    EXPECT_TRUE(reader.ok()) << reader.error().message;
    MemoryLogger log;
    ReplayOptions options;
    options.from = from_epoch_ms(from_ms);
    options.to = from_epoch_ms(to_ms);
    auto report = replay(config_, *reader, options, log);
    EXPECT_TRUE(report.ok()) << report.error().message;
    return std::move(report).value();
  }

  static std::vector<ReplayAction> of_kind(const ReplayReport& r, ReplayAction::Kind k) {
    std::vector<ReplayAction> out;
    std::copy_if(r.actions.begin(), r.actions.end(), std::back_inserter(out),
                 [&](const ReplayAction& a) { return a.kind == k; });
    return out;
  }

  std::string dir_;
  config::Config config_;
  std::optional<rules::SiteTime> site_;
};

TEST_F(ReplayTest, WatersTheDryingZoneWhenTheRuleWouldHave) {
  write_two_days();
  const ReplayReport report = run(kDay1, kDay1 + 2 * 24 * 60 * kMinute);
  EXPECT_EQ(report.readings, 2u * 2 * 24 * 12);

  const auto runs = of_kind(report, ReplayAction::Kind::irrigate);
  ASSERT_EQ(runs.size(), 2u);
  // Below 30 % at 10:05, held for 2 min: 10:07; stopped by the 46 % reading at 10:25.
  EXPECT_EQ(runs[0].at, from_epoch_ms(kDay1 + (10 * 60 + 7) * kMinute));
  EXPECT_EQ(runs[0].rule, "water-z1-when-dry");
  EXPECT_EQ(runs[0].zone, "z1");
  EXPECT_EQ(runs[0].requested, Millis{20 * kMinute});
  EXPECT_EQ(runs[0].granted, Millis{20 * kMinute});
  EXPECT_EQ(runs[0].ran, Millis{18 * kMinute});
  EXPECT_EQ(runs[0].detail, "until z1.soil.moisture >= 45");
  ASSERT_TRUE(runs[0].litres.has_value());
  EXPECT_DOUBLE_EQ(*runs[0].litres, 18 * 12.0);
  // Day 2: below 30 % at 02:30, fired 02:32, stopped at 02:50.
  EXPECT_EQ(runs[1].at, from_epoch_ms(kDay1 + (24 * 60 + 2 * 60 + 32) * kMinute));
  EXPECT_EQ(runs[1].ran, Millis{18 * kMinute});

  ASSERT_EQ(report.zones.size(), 2u);
  EXPECT_EQ(report.zones[0].zone, "z1");
  EXPECT_EQ(report.zones[0].runs, 2);
  EXPECT_EQ(report.zones[0].watered, Millis{36 * kMinute});
  ASSERT_TRUE(report.zones[0].litres.has_value());
  EXPECT_DOUBLE_EQ(*report.zones[0].litres, 36 * 12.0);
  EXPECT_EQ(report.zones[1].runs, 0);
  EXPECT_DOUBLE_EQ(report.line_lpm.at("main"), 12.0);
  // z2 has no sensor data at all: one rule_input_bad after the start-up grace, not one a tick.
  EXPECT_EQ(report.alarms.at("rule_input_bad"), 1);

  std::ostringstream text;
  write_text(report, *site_, text);
  EXPECT_NE(text.str().find("2026-11-01 10:07 +07  rule water-z1-when-dry  irrigate z1 20m "
                            "(stopped after 18m: until z1.soil.moisture >= 45) ~216 L\n"),
            std::string::npos)
      << text.str();
  std::ostringstream json;
  write_json(report, *site_, json);
  EXPECT_NE(json.str().find("\"kind\":\"irrigate\""), std::string::npos) << json.str();
}

TEST_F(ReplayTest, ARangeWithoutReadingsWatersNothing) {
  write_two_days();
  const std::int64_t later = kDay1 + 10 * 24 * 60 * kMinute;
  const ReplayReport report = run(later, later + 24 * 60 * kMinute);
  EXPECT_EQ(report.readings, 0u);
  EXPECT_TRUE(of_kind(report, ReplayAction::Kind::irrigate).empty());
  EXPECT_TRUE(of_kind(report, ReplayAction::Kind::refused).empty());
  EXPECT_EQ(report.zones.at(0).runs, 0);
  EXPECT_EQ(report.zones.at(0).litres.value_or(-1), 0.0);
}

TEST_F(ReplayTest, CommandRefusesBadTimesWithExit2) {
  write_two_days();
  std::ostringstream out, err;
  MemoryLogger log;
  EXPECT_EQ(run_replay_command(config_, "yesterday", "2026-11-02", false, out, err, log), 2);
  EXPECT_NE(err.str().find("--from 'yesterday'"), std::string::npos) << err.str();
  err.str("");
  EXPECT_EQ(run_replay_command(config_, "2026-11-02", "2026-11-01", false, out, err, log), 2);
  EXPECT_NE(err.str().find("must be after --from"), std::string::npos) << err.str();
  EXPECT_TRUE(out.str().empty());
  EXPECT_EQ(run_replay_command(config_, "2026-11-01", "2026-11-03", true, out, err, log), 0);
  EXPECT_EQ(out.str().front(), '{');
}

TEST_F(ReplayTest, CommandFailsWithExit1WithoutAStore) {
  std::ostringstream out, err;
  MemoryLogger log;
  EXPECT_EQ(run_replay_command(config_, "2026-11-01", "2026-11-02", false, out, err, log), 1);
  EXPECT_FALSE(fs::exists(config_.store.path));
}

// ---- time arguments ----

class ParseTimeTest : public ::testing::Test {
 protected:
  ParseTimeTest() : site_(rules::SiteTime::load("Asia/Ho_Chi_Minh").value()) {}
  std::int64_t ms(std::string_view text) {
    auto t = rules::parse_time_arg(text, site_);
    EXPECT_TRUE(t.ok()) << text << ": " << (t.ok() ? "" : t.error().message);
    return t.ok() ? to_epoch_ms(*t) : -1;
  }
  rules::SiteTime site_;
};

TEST_F(ParseTimeTest, ReadsLocalUtcOffsetAndEpochForms) {
  EXPECT_EQ(ms("2026-11-01"), kDay1);
  EXPECT_EQ(ms("2026-11-01T05:00"), kDay1 + 5 * 60 * kMinute);
  EXPECT_EQ(ms("2026-11-01 05:00:30"), kDay1 + 5 * 60 * kMinute + 30'000);
  EXPECT_EQ(ms("2026-10-31T17:00:00Z"), kDay1);
  EXPECT_EQ(ms("2026-11-01T05:00+07:00"), kDay1 + 5 * 60 * kMinute);
  EXPECT_EQ(ms("2026-11-01T00:00-0100"), kDay1 + 8 * 60 * kMinute);
  EXPECT_EQ(ms("1793466000000"), kDay1);
}

TEST_F(ParseTimeTest, RefusesWhatIsNotATime) {
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-02-30", "2026-11-01T25:00",
                          "2026-11-01T05", "2026-11-01T05:00Q", "1793466000", "2026-11-01+7"}) {
    auto t = rules::parse_time_arg(bad, site_);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.error().code, "bad_time");
  }
}

// ---- the supervisor's verdicts on paper ----

class ReplayActionsTest : public ::testing::Test {
 protected:
  ReplayActionsTest()
      : config_(load_farm()), clock_(from_epoch_ms(kDay1)), sink_(config_, clock_) {}
  void advance(Millis d) {
    clock_.advance(d);
    sink_.settle();
  }
  config::Config config_;
  FakeClock clock_;
  ReplayActions sink_;
};

TEST_F(ReplayActionsTest, OneZoneAtATimePerLine) {
  ASSERT_TRUE(sink_.irrigate("z1", 20min, "rule:a").ok());
  auto second = sink_.irrigate("z2", 20min, "rule:b");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "max_open_valves");
  EXPECT_NE(second.error().message.find("valve-z1"), std::string::npos);
  // The same refusal a minute later is folded into the first.
  advance(1min);
  ASSERT_FALSE(sink_.irrigate("z2", 20min, "rule:b").ok());
  advance(19min);
  EXPECT_FALSE(sink_.zone_running("z1"));
  const auto actions = sink_.finish(clock_.now());
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[1].kind, ReplayAction::Kind::refused);
  EXPECT_EQ(actions[1].repeats, 2);
  EXPECT_EQ(actions[0].ran, 20min);
  EXPECT_TRUE(actions[0].detail.empty());
}

TEST_F(ReplayActionsTest, PumpMustRestMinOffBetweenRuns) {
  ASSERT_TRUE(sink_.irrigate("z1", 5min, "rule:a").ok());
  advance(6min);  // ended at 5 min: the pump has rested 1 min of 2
  auto early = sink_.irrigate("z2", 5min, "rule:b");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, "min_off");
  EXPECT_NE(early.error().message.find("pump rested 1m of 2m"), std::string::npos)
      << early.error().message;
  advance(1min);
  EXPECT_TRUE(sink_.irrigate("z2", 5min, "rule:b").ok());
}

TEST_F(ReplayActionsTest, GrantIsCappedByTheShortestMaxRuntimeAndStopEndsTheRun) {
  ASSERT_TRUE(sink_.irrigate("z1", 60min, "rule:a").ok());
  advance(10min);
  ASSERT_TRUE(sink_.stop("z1", "until: z1.soil.moisture >= 45", "rule:a").ok());
  EXPECT_FALSE(sink_.zone_running("z1"));
  EXPECT_FALSE(sink_.stop("z1", "again", "rule:a").ok());
  ASSERT_TRUE(sink_.irrigate("z2", 60min, "rule:b").ok() == false);  // the pump rests 2 min
  advance(2min);
  ASSERT_TRUE(sink_.irrigate("z2", 60min, "rule:b").ok());
  advance(5min);
  const auto actions = sink_.finish(clock_.now());
  ASSERT_GE(actions.size(), 3u);
  EXPECT_EQ(actions[0].granted, 25min);  // the pump's max_runtime, under the valve's 30
  EXPECT_EQ(actions[0].ran, 10min);
  EXPECT_EQ(actions[0].detail, "until z1.soil.moisture >= 45");
  EXPECT_TRUE(actions.back().running_at_end);
  EXPECT_EQ(actions.back().ran, 5min);
}

}  // namespace
}  // namespace farmgate::gateway
