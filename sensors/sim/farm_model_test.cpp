#include "sensors/sim/farm_model.h"

#include <gtest/gtest.h>

namespace farmgate::sim {
namespace {

// 2026-01-01T00:00:00Z, 07:00 local.
constexpr std::int64_t kStart = 1'767'225'600'000;
constexpr std::int64_t kSecond = 1'000;
constexpr std::int64_t kMinute = 60 * kSecond;

Timestamp at(std::int64_t ms_after_start) {
  return from_epoch_ms(kStart + ms_after_start);
}

FarmModel make(FarmParams p = {}, std::uint64_t seed = 7) {
  return FarmModel(std::move(p), seed, at(0));
}

// Opens the zone's valve and starts the pump at `from`, stops both `minutes` later.
void run_zone(FarmModel& m, const std::string& valve, std::int64_t from, std::int64_t minutes) {
  ASSERT_TRUE(m.set_relay(valve, true, at(from)));
  ASSERT_TRUE(m.set_relay("pump", true, at(from)));
  ASSERT_TRUE(m.set_relay("pump", false, at(from + minutes * kMinute)));
  ASSERT_TRUE(m.set_relay(valve, false, at(from + minutes * kMinute)));
}

TEST(FarmModelTest, NoFlowWithThePumpOnAndNoValveOpen) {
  FarmModel m = make();
  const double z1 = m.true_moisture(0);
  m.set_relay("pump", true, at(0));
  m.advance(at(10 * kMinute));
  EXPECT_EQ(m.flow().rate_lpm, 0);
  EXPECT_EQ(m.flow().total_litres, 0);
  EXPECT_LE(m.true_moisture(0), z1);
}

TEST(FarmModelTest, NoFlowWithAValveOpenAndThePumpOff) {
  FarmModel m = make();
  m.set_relay("valve-z1", true, at(0));
  m.advance(at(10 * kMinute));
  EXPECT_EQ(m.flow().total_litres, 0);
}

TEST(FarmModelTest, FlowRampsUpToTheRateAndStopsWithThePump) {
  FarmModel m = make();
  m.set_relay("valve-z1", true, at(0));
  m.set_relay("pump", true, at(0));
  m.advance(at(1 * kSecond));
  EXPECT_GT(m.flow().rate_lpm, 0);
  EXPECT_LT(m.flow().rate_lpm, 10);  // still ramping
  m.advance(at(1 * kMinute));
  EXPECT_NEAR(m.flow().rate_lpm, 20, 1.5);
  m.set_relay("pump", false, at(1 * kMinute));
  m.advance(at(2 * kMinute));
  EXPECT_EQ(m.flow().rate_lpm, 0);
}

TEST(FarmModelTest, TheFlowIsSplitAcrossOpenValves) {
  FarmModel m = make();
  m.set_relay("valve-z1", true, at(0));
  m.set_relay("valve-z2", true, at(0));
  m.set_relay("pump", true, at(0));
  m.advance(at(10 * kMinute));
  EXPECT_NEAR(m.flow().rate_lpm, 20, 1.5);
  EXPECT_NEAR(m.delivered_litres(0), m.delivered_litres(1), 1e-9);
  EXPECT_NEAR(m.delivered_litres(0), 100, 3);
}

TEST(FarmModelTest, MoistureRisesOnlyInTheWateredZone) {
  FarmModel m = make();
  const double z1 = m.true_moisture(0);
  const double z2 = m.true_moisture(1);
  run_zone(m, "valve-z2", 0, 10);
  EXPECT_LT(m.true_moisture(0), z1);  // dried a little
  EXPECT_GT(m.true_moisture(0), z1 - 0.5);
  EXPECT_GT(m.true_moisture(1), z2 + 5);
  EXPECT_EQ(m.delivered_litres(0), 0);
  EXPECT_GT(m.delivered_litres(1), 190);
}

TEST(FarmModelTest, ATwentyMinuteRunLiftsAZoneFromAbout28To45) {
  FarmParams p;
  p.soil.moisture_start = 28;
  FarmModel m = make(p);
  const double before = m.true_moisture(0);
  run_zone(m, "valve-z1", 0, 20);
  m.advance(at(21 * kMinute));
  const double lift = m.true_moisture(0) - before;
  EXPECT_GT(lift, 15.0);
  EXPECT_LT(lift, 18.0);
  // What the probe reports lands in the band too, from a start at exactly 28 %.
  const double probe = m.sample_soil(0, at(21 * kMinute)).moisture;
  EXPECT_NEAR(probe - before + 28.0, 44.5, 2.0);
}

TEST(FarmModelTest, TheSoilNoLongerRefillsByHand) {
  FarmParams p;
  p.soil.moisture_start = 20;
  FarmModel m = make(p);
  m.advance(at(3 * 24 * 60 * kMinute));
  EXPECT_LT(m.true_moisture(0), 18.0);  // SoilModel alone would have jumped back to 42 %
  EXPECT_GE(m.true_moisture(0), 0.0);
}

TEST(FarmModelTest, TankBalanceEqualsTheFlowTotal) {
  FarmModel m = make();
  const double start = m.tank_level_litres();
  EXPECT_DOUBLE_EQ(m.tank_percent(), 90.0);
  run_zone(m, "valve-z1", 0, 20);
  run_zone(m, "valve-z2", 30 * kMinute, 5);
  m.advance(at(60 * kMinute));
  const double total = m.flow().total_litres;
  EXPECT_NEAR(total, 500, 15);
  EXPECT_GT(m.refilled_litres(), 0);
  EXPECT_NEAR(start + m.refilled_litres() - m.tank_level_litres(), total, 1e-6);
  EXPECT_NEAR(m.delivered_litres(0) + m.delivered_litres(1), total, 1e-6);
  EXPECT_LT(m.tank_percent(), 90.0);
}

TEST(FarmModelTest, AnEmptyTankStopsTheFlow) {
  FarmParams p;
  p.tank_litres = 100;
  p.tank_start_percent = 100;
  p.tank_refill_lpm = 0;
  FarmModel m = make(p);
  m.set_relay("valve-z1", true, at(0));
  m.set_relay("pump", true, at(0));
  m.advance(at(10 * kMinute));
  EXPECT_EQ(m.tank_level_litres(), 0);
  EXPECT_NEAR(m.flow().total_litres, 100, 1e-6);
  EXPECT_EQ(m.flow().rate_lpm, 0);
}

TEST(FarmModelTest, DryWellRunsThePumpWithoutFlow) {
  FarmModel m = make();
  m.set_fault(FaultKind::dry_well, true);
  const double z1 = m.true_moisture(0);
  run_zone(m, "valve-z1", 0, 10);
  EXPECT_TRUE(m.flow().total_litres == 0);
  EXPECT_LT(m.true_moisture(0), z1);
}

TEST(FarmModelTest, AStuckValvePassesNoWater) {
  FarmModel m = make();
  m.set_fault(FaultKind::stuck_valve, true, "valve-z2");
  run_zone(m, "valve-z2", 0, 10);
  EXPECT_EQ(m.flow().total_litres, 0);
  EXPECT_EQ(m.delivered_litres(1), 0);
  // The other valve still works.
  run_zone(m, "valve-z1", 20 * kMinute, 10);
  EXPECT_NEAR(m.delivered_litres(0), 200, 6);
}

TEST(FarmModelTest, ALeakFlowsWhileEverythingIsOff) {
  FarmModel m = make();
  m.set_fault(FaultKind::leak, true);
  m.advance(at(10 * kMinute));
  EXPECT_FALSE(m.pump_on());
  EXPECT_NEAR(m.flow().rate_lpm, 3, 1e-9);
  EXPECT_NEAR(m.flow().total_litres, 30, 1e-6);
  EXPECT_EQ(m.delivered_litres(0) + m.delivered_litres(1), 0);
}

TEST(FarmModelTest, ABurstFlowsFarAboveNormalAndWatersNothing) {
  FarmModel m = make();
  m.set_fault(FaultKind::burst, true);
  m.set_relay("valve-z1", true, at(0));
  m.set_relay("pump", true, at(0));
  m.advance(at(2 * kMinute));
  EXPECT_GT(m.flow().rate_lpm, 60);
  EXPECT_EQ(m.delivered_litres(0), 0);
}

TEST(FarmModelTest, AScheduledFaultStartsAtItsSimulatedTime) {
  FarmParams p;
  p.faults.push_back({FaultKind::dry_well, Millis{5 * kMinute}, ""});
  FarmModel m = make(p);
  m.set_relay("valve-z1", true, at(0));
  m.set_relay("pump", true, at(0));
  m.advance(at(4 * kMinute));
  EXPECT_NEAR(m.flow().rate_lpm, 20, 1.5);
  m.advance(at(6 * kMinute));
  EXPECT_EQ(m.flow().rate_lpm, 0);
  const double total = m.flow().total_litres;
  EXPECT_NEAR(total, 100, 4);  // five minutes' worth, then nothing
  m.advance(at(10 * kMinute));
  EXPECT_EQ(m.flow().total_litres, total);
}

TEST(FarmModelTest, UnknownRelaysChangeNothing) {
  FarmModel m = make();
  EXPECT_FALSE(m.set_relay("fan", true, at(0)));
  EXPECT_FALSE(m.set_relay("", true, at(0)));
  EXPECT_FALSE(m.pump_on());
}

TEST(FarmModelTest, TheRelayMappingIsConfigurable) {
  FarmParams p;
  p.pump_id = "p1";
  p.zones = {{"north", "v-north"}};
  FarmModel m = make(p);
  EXPECT_FALSE(m.set_relay("pump", true, at(0)));
  m.set_relay("v-north", true, at(0));
  m.set_relay("p1", true, at(0));
  m.advance(at(kMinute));
  EXPECT_GT(m.delivered_litres(0), 10);
}

TEST(FarmModelTest, SameSeedSameFarm) {
  auto run = [](std::uint64_t seed) {
    FarmModel m = make({}, seed);
    run_zone(m, "valve-z1", 0, 7);
    std::vector<double> out{m.flow().total_litres, m.tank_level_litres()};
    for (int i = 0; i < 5; ++i) out.push_back(m.sample_soil(0, at((8 + i) * kMinute)).moisture);
    return out;
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

}  // namespace
}  // namespace farmgate::sim
