// The files in config/examples/ are documentation users copy: each must load as shipped, and
// farm.yaml must be the reference farm INTERFACES.md describes.
#include <gtest/gtest.h>

#include <filesystem>
#include <variant>

#include "config/loader.h"
#include "config/test_util.h"

namespace farmgate::config {
namespace {

using namespace farmgate::config::testing;

std::filesystem::path examples_dir() {
  return std::filesystem::path(FARMGATE_SOURCE_DIR) / "config/examples";
}

// What scripts/demo and a test rig set; every other variable is left unset.
EnvLookup demo_env() {
  return env_of({{"FARMGATE_DATA_DIR", "/tmp/farmgate-demo"},
                 {"FARMGATE_MQTT_URL", "tcp://127.0.0.1:18830"}});
}

LoadResult load_example(const std::string& name, const EnvLookup& env) {
  return load_config((examples_dir() / name).string(), env);
}

Config example_ok(const std::string& name, const EnvLookup& env) {
  LoadResult r = load_example(name, env);
  if (const auto* errors = std::get_if<std::vector<ConfigError>>(&r)) {
    for (const auto& e : *errors) ADD_FAILURE() << e.to_string();
    return Config{};
  }
  return std::get<Config>(std::move(r));
}

TEST(ExamplesTest, EveryExampleLoadsCleanly) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(examples_dir())) {
    if (entry.path().extension() != ".yaml") continue;
    ++count;
    SCOPED_TRACE(entry.path().string());
    example_ok(entry.path().filename().string(), demo_env());
  }
  EXPECT_GE(count, 3);
}

TEST(ExamplesTest, FarmIsTheReferenceFarmWithNothingSet) {
  const Config c = example_ok("farm.yaml", env_of({}));
  EXPECT_EQ(c.site, "demo-farm");
  EXPECT_EQ(c.timezone, "Asia/Ho_Chi_Minh");
  EXPECT_EQ(c.data_dir, "/var/lib/farmgate");
  EXPECT_EQ(c.store.path, "/var/lib/farmgate/farmgate.db");
  EXPECT_EQ(c.mqtt.url, "tcp://127.0.0.1:1883");
  EXPECT_EQ(c.mqtt.client_id, "farmgate-demo-farm");
  EXPECT_EQ(c.http.host, "0.0.0.0");
  EXPECT_EQ(c.http.port, 8080);

  ASSERT_EQ(c.zones.size(), 2u);
  EXPECT_EQ(c.zones[0].id, "z1");
  EXPECT_EQ(c.zones[1].id, "z2");
  EXPECT_NE(c.zones[0].name, c.zones[0].id);

  const DeviceKind* soil = c.find_kind("soil");
  ASSERT_NE(soil, nullptr);
  ASSERT_EQ(soil->metrics.size(), 3u);
  const MetricSpec* moisture = soil->find_metric("moisture");
  ASSERT_NE(moisture, nullptr);
  EXPECT_EQ(moisture->unit, "%");
  EXPECT_EQ(moisture->min, 0);
  EXPECT_EQ(moisture->max, 100);
  ASSERT_NE(soil->find_metric("temp_c"), nullptr);
  EXPECT_EQ(soil->find_metric("temp_c")->min, -10);
  EXPECT_EQ(soil->find_metric("temp_c")->max, 70);
  ASSERT_NE(soil->find_metric("ec"), nullptr);
  EXPECT_EQ(soil->find_metric("ec")->unit, "mS/cm");
  EXPECT_EQ(soil->find_metric("ec")->max, 20);

  ASSERT_EQ(c.devices.size(), 4u);
  EXPECT_EQ(c.find_device("soil-z1")->zone, "z1");
  EXPECT_EQ(c.find_device("soil-z2")->zone, "z2");
  EXPECT_EQ(c.find_device("soil-z2")->kind, "soil");
  EXPECT_EQ(c.find_device("flow-main")->zone, "") << "the pump house has no zone";
  EXPECT_EQ(c.find_device("tank-main")->kind, "tank");
  EXPECT_EQ(c.find_line("main")->flow.meter, "flow-main");

  // The reference farm's automatic irrigation: below 30 % water until 45 % or 20 minutes.
  ASSERT_EQ(c.rules.size(), 3u);
  EXPECT_EQ(c.rules[0].when.text, "z1.soil.moisture < 30");
  ASSERT_EQ(c.rules[0].then.size(), 1u);
  EXPECT_EQ(c.rules[0].then[0].zone, "z1");
  EXPECT_EQ(c.rules[0].then[0].duration, Millis{20min});
  EXPECT_EQ(c.rules[0].then[0].until.text, "z1.soil.moisture >= 45");
  EXPECT_EQ(c.rules[1].then[0].zone, "z2");
  EXPECT_TRUE(c.location.set);

  ASSERT_EQ(c.mqtt_sources.size(), 1u);
  EXPECT_EQ(c.mqtt_sources[0].name, "field");
  EXPECT_EQ(c.mqtt_sources[0].topic, "farm/{zone}/{device}/telemetry");
  EXPECT_EQ(c.mqtt_sources[0].qos, 1);

  // FARMGATE_INFLUX_URL unset: no uplink.
  EXPECT_TRUE(c.uplinks.empty());
}

TEST(ExamplesTest, FarmReadsEveryEndpointFromTheEnvironment) {
  const Config c = example_ok("farm.yaml", env_of({
                                               {"FARMGATE_SITE", "htx-buoi"},
                                               {"FARMGATE_DATA_DIR", "/srv/fg"},
                                               {"FARMGATE_MQTT_URL", "tcp://10.0.0.2:1884"},
                                               {"FARMGATE_HTTP_LISTEN", "[::1]:9000"},
                                               {"FARMGATE_INFLUX_URL", "http://127.0.0.1:8086"},
                                               {"FARMGATE_INFLUX_DB", "buoi"},
                                           }));
  EXPECT_EQ(c.site, "htx-buoi");
  EXPECT_EQ(c.mqtt.client_id, "farmgate-htx-buoi");
  EXPECT_EQ(c.data_dir, "/srv/fg");
  EXPECT_EQ(c.store.journal_dir, "/srv/fg/journal");
  EXPECT_EQ(c.mqtt.url, "tcp://10.0.0.2:1884");
  EXPECT_EQ(c.http.host, "::1");
  EXPECT_EQ(c.http.port, 9000);
  ASSERT_EQ(c.uplinks.size(), 1u);
  EXPECT_EQ(c.uplinks[0].name, "influx");
  EXPECT_EQ(c.uplinks[0].type, UplinkType::influxdb_v1);
  EXPECT_EQ(c.uplinks[0].url, "http://127.0.0.1:8086");
  EXPECT_EQ(c.uplinks[0].database, "buoi");
}

TEST(ExamplesTest, FarmInfluxDatabaseDefaultsToFarm) {
  const Config c =
      example_ok("farm.yaml", env_of({{"FARMGATE_INFLUX_URL", "http://127.0.0.1:8086"}}));
  ASSERT_EQ(c.uplinks.size(), 1u);
  EXPECT_EQ(c.uplinks[0].database, "farm");
}

TEST(ExamplesTest, DemoRefusesToRunWithoutItsDataDirAndBroker) {
  LoadResult r = load_example("demo.yaml", env_of({}));
  ASSERT_TRUE(std::holds_alternative<std::vector<ConfigError>>(r));
  std::string all;
  for (const auto& e : std::get<std::vector<ConfigError>>(r)) all += e.to_string() + "\n";
  EXPECT_NE(all.find("environment variable FARMGATE_DATA_DIR is not set"), std::string::npos)
      << all;
  EXPECT_NE(all.find("environment variable FARMGATE_MQTT_URL is not set"), std::string::npos)
      << all;
}

TEST(ExamplesTest, DemoListensOnLoopbackAndUsesTheGivenDataDir) {
  const Config c = example_ok("demo.yaml", demo_env());
  EXPECT_EQ(c.http.host, "127.0.0.1");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.store.path, "/tmp/farmgate-demo/farmgate.db");
  EXPECT_EQ(c.mqtt.url, "tcp://127.0.0.1:18830");
  EXPECT_EQ(c.devices.size(), 6u);
  EXPECT_EQ(c.rules.size(), 3u);
  EXPECT_TRUE(c.uplinks.empty());
  // The simulator's Modbus probe and camera: the demo shows the field devices.
  ASSERT_EQ(c.modbus_sources.size(), 1u);
  ASSERT_EQ(c.cameras.size(), 1u);
  EXPECT_NE(c.find_device("probe-z2"), nullptr);
  EXPECT_NE(c.find_device("cam-z1"), nullptr);
}

TEST(ExamplesTest, InfluxV2ExampleKeepsBothUplinksWhenBothUrlsAreSet) {
  const Config c = example_ok("influxdb-v2.yaml",
                              env_of({{"FARMGATE_INFLUX2_URL", "https://influx.example:8086"},
                                      {"FARMGATE_INFLUX2_TOKEN", "tok"},
                                      {"FARMGATE_INFLUX_URL", "http://10.0.0.5:8086"}}));
  ASSERT_EQ(c.uplinks.size(), 2u);
  EXPECT_EQ(c.uplinks[0].type, UplinkType::influxdb_v2);
  EXPECT_EQ(c.uplinks[0].org, "htx-buoi");
  EXPECT_EQ(c.uplinks[0].bucket, "farm");
  EXPECT_EQ(c.uplinks[0].token, "tok");
  EXPECT_EQ(c.uplinks[1].type, UplinkType::influxdb_v1);
  EXPECT_EQ(c.uplinks[1].database, "farm");
}

// INTERFACES.md: pump `pump`, valves `valve-z1`, `valve-z2`, Tasmota-style topics, one line.
void expect_reference_plant(const Config& c) {
  ASSERT_EQ(c.actuators.size(), 3u);
  ASSERT_EQ(c.lines.size(), 1u);
  EXPECT_EQ(c.lines[0].id, "main");
  EXPECT_EQ(c.lines[0].max_open_valves, 1u);
  const Actuator* pump = c.find_actuator("pump");
  ASSERT_NE(pump, nullptr);
  EXPECT_EQ(pump->type, ActuatorType::pump);
  EXPECT_EQ(pump->line, "main");
  for (const char* zone : {"z1", "z2"}) {
    const Actuator* valve = c.find_actuator(std::string("valve-") + zone);
    ASSERT_NE(valve, nullptr);
    EXPECT_EQ(valve->type, ActuatorType::valve);
    EXPECT_EQ(valve->zone, zone);
    EXPECT_EQ(valve->line, "main");
    // The valve outlasts the pump, so the pump is never left without an open valve.
    EXPECT_GT(valve->max_runtime, pump->max_runtime);
  }
  for (const Actuator& a : c.actuators) {
    EXPECT_EQ(a.driver.type, DriverType::mqtt_relay);
    EXPECT_EQ(a.driver.mqtt.command_topic, "cmnd/" + a.id + "/POWER");
    EXPECT_EQ(a.driver.mqtt.state_topic, "stat/" + a.id + "/POWER");
    EXPECT_EQ(a.driver.mqtt.payload_on, "ON");
    EXPECT_EQ(a.driver.mqtt.payload_off, "OFF");
  }
}

TEST(ExamplesTest, FarmAndDemoHaveTheReferencePumpAndValves) {
  {
    SCOPED_TRACE("farm.yaml");
    expect_reference_plant(example_ok("farm.yaml", env_of({})));
  }
  {
    SCOPED_TRACE("demo.yaml");
    expect_reference_plant(example_ok("demo.yaml", demo_env()));
  }
}

}  // namespace
}  // namespace farmgate::config
