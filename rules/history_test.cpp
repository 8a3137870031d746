// History: windows over the kept readings and sensor health (stale, stuck, spike).
#include "rules/history.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "config/config.h"

namespace farmgate::rules {
namespace {

using namespace std::chrono_literals;

const Timestamp kT0 = from_epoch_ms(1'767'225'600'000);  // 2026-01-01T00:00Z
const SeriesKey kMoist{"soil-z1", "moisture"};

Reading reading(double v, Timestamp t, Quality q = Quality::good) {
  Reading r;
  r.device = "soil-z1";
  r.zone = "z1";
  r.kind = "soil";
  r.metric = "moisture";
  r.value = v;
  r.time = t;
  r.quality = q;
  return r;
}

config::Config soil_config() {
  config::Config c;
  c.zones.push_back({"z1", "z1"});
  c.kinds.push_back({"soil", {{"moisture", "%", 0, 100}}});
  c.devices.push_back({"soil-z1", "soil", "z1", {}});
  return c;
}

TEST(HistoryTest, WindowCoversReadingsInsideIt) {
  History h(1h);
  for (int i = 0; i < 6; ++i) h.add(reading(10 + i, kT0 + i * 1min));
  const WindowStats w = h.window(kMoist, kT0 + 2min, kT0 + 4min);
  ASSERT_EQ(w.status, DataStatus::ok);
  EXPECT_EQ(w.count, 3u);
  EXPECT_DOUBLE_EQ(w.avg, 13);
  EXPECT_DOUBLE_EQ(w.first, 12);
  EXPECT_DOUBLE_EQ(w.last, 14);
  EXPECT_EQ(h.latest(kMoist).value, 15);
  EXPECT_EQ(h.window(kMoist, kT0 + 10min, kT0 + 20min).status, DataStatus::no_data);
  EXPECT_EQ(h.latest({"soil-z1", "temp"}).status, DataStatus::no_data);
}

TEST(HistoryTest, IgnoresUnsyncedAndNonFiniteReadings) {
  History h(1h);
  h.add(reading(20, kT0));
  h.add(reading(99, kT0 + 1min, Quality::clock_unsynced));
  h.add(reading(std::numeric_limits<double>::quiet_NaN(), kT0 + 2min));
  h.add(reading(std::numeric_limits<double>::infinity(), kT0 + 3min));
  EXPECT_EQ(h.latest(kMoist).value, 20);
  EXPECT_EQ(h.window(kMoist, kT0, kT0 + 1h).count, 1u);
}

TEST(HistoryTest, PutsOutOfOrderReadingsInPlace) {
  History h(1h);
  h.add(reading(10, kT0));
  h.add(reading(30, kT0 + 2min));
  h.add(reading(20, kT0 + 1min));
  EXPECT_EQ(h.latest(kMoist).value, 30);
  const WindowStats w = h.window(kMoist, kT0, kT0 + 1h);
  EXPECT_EQ(w.first, 10);
  EXPECT_EQ(w.last, 30);
  EXPECT_EQ(w.count, 3u);
}

TEST(HistoryTest, DropsReadingsOlderThanKeep) {
  History h(1h);
  for (int i = 0; i <= 180; ++i) h.add(reading(i % 7, kT0 + i * 1min));
  // Three hours of readings, one hour kept: the first two hours are gone.
  EXPECT_EQ(h.window(kMoist, kT0, kT0 + 100min).count, 0u);
  EXPECT_EQ(h.window(kMoist, kT0 + 120min, kT0 + 180min).count, 61u);
}

TEST(HistoryTest, StaleAfterThirtyMinutesWithoutReading) {
  History h(1h);
  h.add(reading(20, kT0));
  h.set_now(kT0 + 30min);
  EXPECT_EQ(h.latest(kMoist).status, DataStatus::ok);
  h.set_now(kT0 + 31min);
  EXPECT_EQ(h.latest(kMoist).status, DataStatus::unhealthy);
  EXPECT_EQ(h.window(kMoist, kT0 - 1h, kT0 + 31min).status, DataStatus::unhealthy);
  const auto health = h.health(kT0 + 31min);
  ASSERT_EQ(health.size(), 1u);
  EXPECT_FALSE(health[0].healthy);
  EXPECT_EQ(health[0].state, "stale");
  EXPECT_NE(health[0].reason.find("soil-z1.moisture"), std::string::npos);
  h.add(reading(21, kT0 + 31min));
  EXPECT_EQ(h.latest(kMoist).status, DataStatus::ok);
}

TEST(HistoryTest, StuckWhenTheSameValueForSixHours) {
  History h(1h);
  // One reading every 30 min: 13 identical readings span exactly 6 h.
  for (int i = 0; i < 12; ++i) h.add(reading(42, kT0 + i * 30min));
  h.set_now(kT0 + 5h + 30min);
  EXPECT_TRUE(h.health(kT0 + 5h + 30min)[0].healthy);
  h.add(reading(42, kT0 + 6h));
  h.set_now(kT0 + 6h);
  const auto health = h.health(kT0 + 6h);
  EXPECT_EQ(health[0].state, "stuck");
  EXPECT_EQ(h.latest(kMoist).status, DataStatus::unhealthy);
  h.add(reading(42.5, kT0 + 6h + 30min));
  h.set_now(kT0 + 6h + 30min);
  EXPECT_EQ(h.latest(kMoist).status, DataStatus::ok);
}

TEST(HistoryTest, NotStuckWithFewerThanTenReadings) {
  History h(1h);
  for (int i = 0; i <= 8; ++i) h.add(reading(42, kT0 + i * 1h));  // 9 readings over 8 h
  h.set_now(kT0 + 8h);
  EXPECT_EQ(h.latest(kMoist).status, DataStatus::ok);
}

TEST(HistoryTest, AValueAtAnEndOfItsRangeIsNeverStuck) {
  const config::Config c = soil_config();  // moisture 0..100
  History h(1h, &c);
  for (int i = 0; i <= 24; ++i) h.add(reading(100, kT0 + i * 30min));  // 12 h at 100 %
  h.set_now(kT0 + 12h);
  EXPECT_EQ(h.latest(kMoist).status, DataStatus::ok) << "a full tank reads 100 % for hours";
  for (int i = 25; i <= 40; ++i) h.add(reading(99.5, kT0 + i * 30min));  // 7.5 h at 99.5 %
  h.set_now(kT0 + 20h);
  EXPECT_EQ(h.latest(kMoist).status, DataStatus::unhealthy) << "inside the range it is stuck";
}

TEST(HistoryTest, SpikeAgainstMedianOfPreviousFive) {
  const config::Config c = soil_config();  // moisture 0..100: limit 25
  History h(1h, &c);
  int minute = 0;
  for (double v : {40.0, 41.0, 39.0, 90.0, 40.0}) h.add(reading(v, kT0 + minute++ * 1min));
  h.set_now(kT0 + 5min);
  EXPECT_EQ(h.latest(kMoist).status, DataStatus::ok);  // the 90 had fewer than 5 before it
  h.add(reading(66.5, kT0 + 5min));                    // median 40, 26.5 away
  EXPECT_EQ(h.latest(kMoist).status, DataStatus::unhealthy);
  EXPECT_EQ(h.health(kT0 + 5min)[0].state, "spike");
  h.add(reading(64, kT0 + 6min));  // median of 41, 39, 90, 40, 66.5 = 41: 23 away
  EXPECT_EQ(h.latest(kMoist).status, DataStatus::ok);
}

TEST(HistoryTest, NoSpikeDetectionWithoutConfiguredRange) {
  History h(1h);
  for (int i = 0; i < 5; ++i) h.add(reading(40, kT0 + i * 1min));
  h.add(reading(100, kT0 + 5min));
  EXPECT_EQ(h.latest(kMoist).status, DataStatus::ok);
}

}  // namespace
}  // namespace farmgate::rules
