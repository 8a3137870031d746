// Scheduler and StartTimes: starts fire once per occurrence; clock trust (1970, backward and
// forward jumps); sunrise/sunset offsets; check_rules on programs. On plain timestamps: the
// scheduler is a pure function of the ticks it is given.
#include "rules/scheduler.h"

#include <gtest/gtest.h>

#include <chrono>

#include "config/test_util.h"
#include "rules/check.h"
#include "rules/rules_test_farm.h"
#include "rules/sun.h"

namespace farmgate::rules {
namespace {

using namespace std::chrono;
using config::testing::load_ok;

Timestamp utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return Timestamp{sys_days{year{y} / mo / d}} + hours{h} + minutes{mi} + seconds{s};
}

config::ProgramStart cron_start(const std::string& text) {
  config::ProgramStart s;
  s.kind = config::ProgramStart::Kind::cron;
  s.cron.text = text;
  return s;
}

config::ProgramStart sun_start(config::ProgramStart::Kind kind, Millis offset) {
  config::ProgramStart s;
  s.kind = kind;
  s.offset = offset;
  return s;
}

config::SiteLocation can_tho() {
  config::SiteLocation l;
  l.set = true;
  l.latitude = 10.03;
  l.longitude = 105.78;
  return l;
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tz = SiteTime::load("UTC");
    ASSERT_TRUE(tz.ok());
    tz_.emplace(std::move(tz).value());
    scheduler_.emplace(*tz_);
  }
  void add(const std::string& cron) {
    auto s = StartTimes::make(cron_start(cron), {});
    ASSERT_TRUE(s.ok());
    scheduler_->add(std::move(s).value());
  }
  // Ticks every `step` in [from, to]; returns the scheduled instants that came due.
  std::vector<Timestamp> run(Timestamp from, Timestamp to, Millis step = 1s) {
    std::vector<Timestamp> due;
    for (Timestamp t = from; t <= to; t += step) {
      const auto r = scheduler_->tick(t);
      for (const auto& d : r.due) due.push_back(d.scheduled);
      for (const auto& s : r.skipped) skipped_.push_back(s);
    }
    return due;
  }

  std::optional<SiteTime> tz_;
  std::optional<Scheduler> scheduler_;
  std::vector<Scheduler::Skipped> skipped_;
};

TEST_F(SchedulerTest, FiresOncePerOccurrence) {
  add("0 5 * * *");
  EXPECT_EQ(run(utc(2026, 1, 1, 4, 59), utc(2026, 1, 1, 5, 2)),
            (std::vector<Timestamp>{utc(2026, 1, 1, 5)}));
  EXPECT_EQ(scheduler_->next(0), utc(2026, 1, 2, 5));
  // A day of coarse ticks: once more, at the next 05:00.
  EXPECT_EQ(run(utc(2026, 1, 1, 5, 3), utc(2026, 1, 2, 5, 3), 1min),
            (std::vector<Timestamp>{utc(2026, 1, 2, 5)}));
}

TEST_F(SchedulerTest, UnsynchronisedClockNeverStartsAnything) {
  add("0 5 * * *");
  // A Pi booted in 1970: its own "05:00" passes, nothing is due, nothing is planned.
  EXPECT_TRUE(run(from_epoch_ms(4 * 3'600'000), from_epoch_ms(6 * 3'600'000), 1min).empty());
  EXPECT_FALSE(scheduler_->next(0).has_value());
  // NTP answers at 05:00:30: today's 05:00 fell before the clock was trusted and is not run.
  EXPECT_TRUE(run(utc(2026, 1, 1, 5, 0, 30), utc(2026, 1, 1, 6)).empty());
  EXPECT_TRUE(skipped_.empty());
  EXPECT_EQ(scheduler_->next(0), utc(2026, 1, 2, 5));
}

TEST_F(SchedulerTest, BackwardJumpDoesNotRefire) {
  add("0 5 * * *");
  EXPECT_EQ(run(utc(2026, 1, 1, 4, 59), utc(2026, 1, 1, 5, 30), 10s).size(), 1u);
  // The clock is set back an hour (NTP corrects a fast clock): 05:00 passes again, silently.
  EXPECT_TRUE(run(utc(2026, 1, 1, 4, 30), utc(2026, 1, 1, 5, 30), 10s).empty());
  EXPECT_TRUE(skipped_.empty());
  EXPECT_EQ(run(utc(2026, 1, 2, 4, 59), utc(2026, 1, 2, 5, 1), 10s),
            (std::vector<Timestamp>{utc(2026, 1, 2, 5)}));
}

TEST_F(SchedulerTest, ForwardJumpRunsTheMissedStartOnceAndLate) {
  add("0 5 * * *");
  (void)scheduler_->tick(utc(2026, 1, 1, 4));
  const auto r = scheduler_->tick(utc(2026, 1, 1, 5, 40));  // jumped 1 h 40 min
  ASSERT_EQ(r.due.size(), 1u);
  EXPECT_EQ(r.due[0].scheduled, utc(2026, 1, 1, 5));
  EXPECT_EQ(r.due[0].late, Millis{40 * 60'000});
  EXPECT_EQ(r.due[0].missed, 0u);
  EXPECT_TRUE(run(utc(2026, 1, 1, 5, 41), utc(2026, 1, 1, 7), 1min).empty());
}

TEST_F(SchedulerTest, ForwardJumpPastCatchUpIsReportedSkipped) {
  add("0 5 * * *");
  (void)scheduler_->tick(utc(2026, 1, 1, 4));
  const auto r = scheduler_->tick(utc(2026, 1, 1, 7, 1));  // 05:00 is 2 h 1 min old
  EXPECT_TRUE(r.due.empty());
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.skipped[0].scheduled, utc(2026, 1, 1, 5));
  EXPECT_EQ(scheduler_->next(0), utc(2026, 1, 2, 5));
}

TEST_F(SchedulerTest, JumpOverSeveralOccurrencesRunsOnlyTheLatest) {
  add("0 * * * *");
  (void)scheduler_->tick(utc(2026, 1, 1, 4, 30));
  const auto r = scheduler_->tick(utc(2026, 1, 1, 6, 10));
  ASSERT_EQ(r.due.size(), 1u);
  EXPECT_EQ(r.due[0].scheduled, utc(2026, 1, 1, 6));
  EXPECT_EQ(r.due[0].missed, 1u);  // 05:00
}

TEST_F(SchedulerTest, ALongJumpOverAMinutelyLineRunsOnlyTheLatest) {
  add("* * * * *");
  (void)scheduler_->tick(utc(2026, 1, 1, 4, 30));
  const auto r = scheduler_->tick(utc(2026, 1, 3, 4, 30, 20));
  ASSERT_EQ(r.due.size(), 1u);
  EXPECT_EQ(r.due[0].scheduled, utc(2026, 1, 3, 4, 30));
  EXPECT_TRUE(r.skipped.empty());
  EXPECT_EQ(scheduler_->next(0), utc(2026, 1, 3, 4, 31));
}

TEST(StartTimesTest, SunriseAndSunsetOffsetsAtTheSite) {
  auto tz = SiteTime::load("Asia/Ho_Chi_Minh");
  ASSERT_TRUE(tz.ok());
  const auto rise = StartTimes::make(
      sun_start(config::ProgramStart::Kind::sunrise, -Millis{30 * 60'000}), can_tho());
  ASSERT_TRUE(rise.ok());
  EXPECT_EQ(rise->describe(), "sunrise -30m");
  const SunTimes sun2 = sun_times(year{2026} / 1 / 2, 10.03, 105.78);
  // From noon local on 1 January the next one is on 2 January, 30 minutes before sunrise.
  const auto next = rise->next_after(utc(2026, 1, 1, 5), *tz);
  ASSERT_TRUE(next && sun2.sunrise);
  EXPECT_EQ(*next, *sun2.sunrise - Millis{30 * 60'000});
  // About 05:45 local (22:45 UTC the day before): the sun rises near 06:15 in January.
  EXPECT_GT(*next, utc(2026, 1, 1, 22, 30));
  EXPECT_LT(*next, utc(2026, 1, 1, 23, 0));
  const auto set = StartTimes::make(
      sun_start(config::ProgramStart::Kind::sunset, Millis{15 * 60'000}), can_tho());
  ASSERT_TRUE(set.ok());
  const SunTimes sun1 = sun_times(year{2026} / 1 / 1, 10.03, 105.78);
  EXPECT_EQ(set->next_after(utc(2026, 1, 1, 5), *tz), *sun1.sunset + Millis{15 * 60'000});
}

TEST(StartTimesTest, SunStartsNeedALocation) {
  const auto s = StartTimes::make(sun_start(config::ProgramStart::Kind::sunset, {}), {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "no_location");
}

TEST(ScheduleCheckTest, ReportsBadCronSkipIfAndSunStartsWithTheirPlace) {
  const config::Config c = load_ok(testing::farm_yaml(R"(programs:
  - name: morning
    zones: [{zone: z1, for: 10m, skip_if: "z1.soil.wetness > 40"}]
    start: [{cron: "0 25 * * *"}, {sunrise: -30m}]
rain_delay: {when: "z9.rain.mm > 5"}
)"));
  const int l = testing::kFirstExtraLine;
  const auto errors = check_rules(c);
  std::vector<std::string> text;
  for (const auto& e : errors) text.push_back(e.to_string());
  EXPECT_EQ(text, (std::vector<std::string>{
                      "farm.yaml:" + std::to_string(l + 2) +
                          ":44: program 'morning': unknown metric 'z1.soil.wetness' (soil metrics: "
                          "moisture)",
                      "farm.yaml:" + std::to_string(l + 3) +
                          ":21: program 'morning': hour: 25 is out of range 0-23",
                      "farm.yaml:" + std::to_string(l + 3) +
                          ":35: program 'morning': sunrise starts need the site's position: add "
                          "location: {latitude: ..., longitude: ...}",
                      "farm.yaml:" + std::to_string(l + 4) +
                          ":21: rain_delay: unknown metric 'z9.rain.mm' (zones: z1, z2)",
                  }));
}

}  // namespace
}  // namespace farmgate::rules
