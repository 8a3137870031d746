#include "sensors/sim/sim_options.h"

#include <gtest/gtest.h>

namespace farmgate::sim {
namespace {

TEST(SimOptionsTest, DefaultsMatchTheUsage) {
  auto o = parse_options({});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->url, "tcp://127.0.0.1:1883");
  EXPECT_EQ(o->client_id, "farmgate-sim");
  EXPECT_EQ(o->qos, 0);
  EXPECT_EQ(o->rate, 1);
  EXPECT_FALSE(o->count);
  EXPECT_EQ(o->interval, Millis{60'000});
  EXPECT_EQ(o->drain_timeout, std::chrono::seconds{60});
}

TEST(SimOptionsTest, ParsesEveryOption) {
  auto o = parse_options({"--url",
                          "tcp://h:1",
                          "--client-id=x",
                          "--qos",
                          "1",
                          "--rate",
                          "0",
                          "--count",
                          "10",
                          "--devices",
                          "5",
                          "--zones",
                          "a,b,c",
                          "--interval-ms",
                          "1000",
                          "--start-ts",
                          "1767225600000",
                          "--bad-every",
                          "7",
                          "--seed",
                          "9",
                          "--quiet",
                          "--drain-timeout-s",
                          "3",
                          "--max-inflight",
                          "50"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->url, "tcp://h:1");
  EXPECT_EQ(o->client_id, "x");
  EXPECT_EQ(o->qos, 1);
  EXPECT_EQ(o->rate, 0);
  EXPECT_EQ(o->count, 10u);
  EXPECT_EQ(o->devices, 5);
  EXPECT_EQ(o->zones, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(o->interval, Millis{1000});
  EXPECT_EQ(o->start_ts, 1'767'225'600'000);
  EXPECT_EQ(o->bad_every, 7u);
  EXPECT_EQ(o->seed, 9u);
  EXPECT_TRUE(o->quiet);
  EXPECT_EQ(o->drain_timeout, std::chrono::seconds{3});
  EXPECT_EQ(o->max_inflight, 50);
}

TEST(SimOptionsTest, SpeedSetsTheRateFromSimulatedTime) {
  auto o = parse_options({"--speed", "60", "--interval-ms", "60000"});
  ASSERT_TRUE(o.ok());
  EXPECT_DOUBLE_EQ(o->effective_rate(2), 2.0);  // each device once per simulated minute
}

TEST(SimOptionsTest, RefusesBadUsage) {
  for (auto args : std::vector<std::vector<std::string>>{{"--qos", "2"},
                                                         {"--rate", "-1"},
                                                         {"--count"},
                                                         {"--count", "ten"},
                                                         {"--devices", "0"},
                                                         {"--zones", "a,,b"},
                                                         {"--interval-ms", "0"},
                                                         {"--speed", "0"},
                                                         {"--rate", "5", "--speed", "2"},
                                                         {"--frobnicate", "1"},
                                                         {"stray"}}) {
    auto o = parse_options(args);
    ASSERT_FALSE(o.ok()) << args[0];
    EXPECT_EQ(o.error().code, "usage");
  }
}

}  // namespace
}  // namespace farmgate::sim

namespace farmgate::sim {
namespace {

TEST(SimOptionsTest, RelaysAreACommaSeparatedList) {
  auto o = parse_options({"--relays", "pump,valve-z1,valve-z2"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->relays, (std::vector<std::string>{"pump", "valve-z1", "valve-z2"}));
  EXPECT_FALSE(parse_options({"--relays", "pump,,valve-z1"}).ok());
  EXPECT_FALSE(parse_options({"--relays", ""}).ok());
}

}  // namespace
}  // namespace farmgate::sim

namespace farmgate::sim {
namespace {

TEST(SimOptionsTest, RelaysWithoutDevicesAreFarmMode) {
  auto farm = parse_options({"--relays", "pump,valve-z1,valve-z2", "--speed", "1"});
  ASSERT_TRUE(farm.ok());
  EXPECT_TRUE(farm->farm_mode());
  EXPECT_DOUBLE_EQ(farm->sim_speed(2), 1.0);
  auto load = parse_options({"--relays", "pump", "--devices", "10", "--rate", "0"});
  ASSERT_TRUE(load.ok());
  EXPECT_FALSE(load->farm_mode());
  EXPECT_FALSE(parse_options({}).value().farm_mode());
  // --rate 0.2 with two devices reporting every simulated minute: 6 simulated s per wall s.
  auto paced = parse_options({"--relays", "pump", "--rate", "0.2"});
  ASSERT_TRUE(paced.ok());
  EXPECT_DOUBLE_EQ(paced->sim_speed(2), 6.0);
  // An unpaced run has no simulated time a relay could switch at.
  EXPECT_FALSE(parse_options({"--relays", "pump", "--rate", "0"}).ok());
}

TEST(SimOptionsTest, FarmDefaults) {
  auto o = parse_options({});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->farm.pump_id, "pump");
  EXPECT_EQ(o->farm.zones, (std::vector<FarmZone>{{"z1", "valve-z1"}, {"z2", "valve-z2"}}));
  EXPECT_EQ(o->farm.flow_lpm, 20);
  EXPECT_EQ(o->farm.tank_litres, 2000);
  EXPECT_EQ(o->report_interval, Millis{10'000});
  EXPECT_TRUE(o->farm.faults.empty());
}

TEST(SimOptionsTest, ParsesTheFarmOptions) {
  auto o = parse_options({"--relays=p,a,b",
                          "--speed",
                          "10",
                          "--pump-relay",
                          "p",
                          "--valve-relays",
                          "z1=a,z2=b",
                          "--flow-lpm",
                          "30",
                          "--tank-litres",
                          "500",
                          "--tank-start-percent",
                          "50",
                          "--moisture-start",
                          "29.5",
                          "--tank-refill-lpm",
                          "0",
                          "--zone-area-m2",
                          "20",
                          "--root-depth-m",
                          "0.3",
                          "--report-interval-ms",
                          "2000",
                          "--fault",
                          "dry_well@600",
                          "--fault",
                          "stuck_valve:b@30.5",
                          "--fault=leak@0"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->farm.pump_id, "p");
  EXPECT_EQ(o->farm.zones, (std::vector<FarmZone>{{"z1", "a"}, {"z2", "b"}}));
  EXPECT_EQ(o->farm.flow_lpm, 30);
  EXPECT_EQ(o->farm.tank_litres, 500);
  EXPECT_EQ(o->farm.tank_start_percent, 50);
  EXPECT_EQ(o->farm.soil.moisture_start, 29.5);
  EXPECT_EQ(o->farm.tank_refill_lpm, 0);
  EXPECT_EQ(o->farm.zone_area_m2, 20);
  EXPECT_EQ(o->farm.root_depth_m, 0.3);
  EXPECT_EQ(o->report_interval, Millis{2000});
  EXPECT_EQ(o->farm.faults,
            (std::vector<ScheduledFault>{{FaultKind::dry_well, Millis{600'000}, ""},
                                         {FaultKind::stuck_valve, Millis{30'500}, "b"},
                                         {FaultKind::leak, Millis{0}, ""}}));
}

TEST(SimOptionsTest, RefusesBadFarmOptions) {
  for (auto args : std::vector<std::vector<std::string>>{{"--fault", "flood@10"},
                                                         {"--fault", "leak"},
                                                         {"--fault", "leak@-1"},
                                                         {"--fault", "leak@soon"},
                                                         {"--fault", "leak:valve-z1@10"},
                                                         {"--fault", "stuck_valve:valve-z9@10"},
                                                         {"--fault", "stuck_valve:@10"},
                                                         {"--valve-relays", "z3=v"},
                                                         {"--valve-relays", "z1"},
                                                         {"--pump-relay", ""},
                                                         {"--flow-lpm", "0"},
                                                         {"--tank-litres", "-5"},
                                                         {"--tank-start-percent", "101"},
                                                         {"--moisture-start", "75"},
                                                         {"--tank-refill-lpm", "-1"},
                                                         {"--zone-area-m2", "nan"},
                                                         {"--report-interval-ms", "0"}}) {
    auto o = parse_options(args);
    ASSERT_FALSE(o.ok()) << args[0] << " " << args[1];
    EXPECT_EQ(o.error().code, "usage");
  }
  // A stuck valve named before --valve-relays renames it is still found.
  EXPECT_TRUE(parse_options({"--fault", "stuck_valve:v1@5", "--valve-relays", "z1=v1"}).ok());
}

}  // namespace
}  // namespace farmgate::sim

namespace farmgate::sim {
namespace {

TEST(SimOptionsTest, ProbeAndCameraAreOffUnlessTheirPortIsGiven) {
  auto o = parse_options({});
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(o->serves_devices());
  EXPECT_EQ(o->modbus_unit, 1);
  EXPECT_EQ(o->modbus_zone, "z2");
  EXPECT_EQ(o->canopy, (CanopyGrowth{40, 70, 12}));
}

TEST(SimOptionsTest, ParsesTheProbeAndCameraOptions) {
  auto o = parse_options({"--modbus-port", "15020", "--modbus-unit", "7", "--modbus-zone", "z1",
                          "--camera-port=0", "--canopy-start", "35", "--canopy-max", "80",
                          "--canopy-days", "2.5"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_TRUE(o->serves_devices());
  EXPECT_EQ(o->modbus_port, 15020);
  EXPECT_EQ(o->modbus_unit, 7);
  EXPECT_EQ(o->modbus_zone, "z1");
  EXPECT_EQ(o->camera_port, 0);
  EXPECT_EQ(o->canopy, (CanopyGrowth{35, 80, 2.5}));
  EXPECT_FALSE(o->farm_mode());  // they need no relays
}

TEST(SimOptionsTest, RefusesBadProbeAndCameraOptions) {
  for (auto args : std::vector<std::vector<std::string>>{{"--modbus-port", "65536"},
                                                         {"--modbus-port", "-1"},
                                                         {"--camera-port", "http"},
                                                         {"--modbus-unit", "0"},
                                                         {"--modbus-unit", "248"},
                                                         {"--modbus-zone", "z3"},
                                                         {"--modbus-zone", ""},
                                                         {"--canopy-start", "101"},
                                                         {"--canopy-max", "-1"},
                                                         {"--canopy-days", "0"},
                                                         {"--canopy-start", "80"}}) {
    auto o = parse_options(args);
    ASSERT_FALSE(o.ok()) << args[0] << " " << args[1];
    EXPECT_EQ(o.error().code, "usage");
  }
}

}  // namespace
}  // namespace farmgate::sim
