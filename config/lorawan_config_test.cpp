// Sources of type chirpstack (LoRaWAN behind ChirpStack v4): what is read, and each mistake with
// the message `farmgate check` prints.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/test_util.h"

namespace farmgate::config {
namespace {

using namespace farmgate::config::testing;

// A farm with two LoRaWAN probes; `source` is the sources: list (or nothing). Line 13 is the
// first line of `source`.
std::string farm_text(std::string_view source) {
  return yaml(R"(
site: demo-farm
zones:
  - id: z3
kinds:
  soil:
    moisture: {unit: "%", min: 0, max: 100}
    temp_c: {unit: °C, min: -10, max: 70}
    battery: {unit: "%", min: 0, max: 100}
devices:
  - {id: soil-z3, kind: soil, zone: z3}
  - {id: soil-z4, kind: soil, zone: z3}
sources:
)") + std::string(source);
}

TEST(LorawanConfigTest, ReadsASourceWithItsDevicesAndDefaults) {
  const Config c = load_ok(farm_text(R"(  - name: lora
    type: chirpstack
    devices:
      - device: soil-z3
        dev_eui: "A84041000181C061"
        metrics: {moisture: soilMoisture, temp_c: soil.temp}
      - {device: soil-z4, dev_eui: 0004a30b001c0530, metrics: {battery: status.bat}}
)"));
  ASSERT_EQ(c.chirpstack_sources.size(), 1u);
  const ChirpstackSource& s = c.chirpstack_sources[0];
  EXPECT_EQ(s.name, "lora");
  EXPECT_EQ(s.topic_prefix, "application");
  EXPECT_EQ(s.qos, 1);
  EXPECT_EQ(s.max_payload_bytes, 64u * 1024);
  EXPECT_DOUBLE_EQ(s.low_battery_percent, 20);
  ASSERT_EQ(s.devices.size(), 2u);
  const ChirpstackDevice& d = s.devices[0];
  EXPECT_EQ(d.device, "soil-z3");
  EXPECT_EQ(d.dev_eui, "a84041000181c061");  // lowercase, as ChirpStack writes it
  EXPECT_EQ(d.path_of("moisture"), "soilMoisture");
  EXPECT_EQ(d.path_of("temp_c"), "soil.temp");
  EXPECT_EQ(d.path_of("battery"), "batteryLevel");
  EXPECT_EQ(d.path_of("ec"), "ec");  // unmapped: its own name
  EXPECT_EQ(s.devices[1].battery_path, "status.bat");
  EXPECT_EQ(s.devices[1].path_of("battery"), "status.bat");
  EXPECT_EQ(s.find_dev_eui("0004a30b001c0530"), &s.devices[1]);
}

TEST(LorawanConfigTest, ReadsEveryOptionalKey) {
  const Config c = load_ok(farm_text(R"(  - name: lora
    type: chirpstack
    topic_prefix: chirpstack/application
    qos: 0
    max_payload_bytes: 4096
    low_battery_percent: 0
    devices: [{device: soil-z3, dev_eui: a84041000181c061}]
)"));
  const ChirpstackSource& s = c.chirpstack_sources.at(0);
  EXPECT_EQ(s.topic_prefix, "chirpstack/application");
  EXPECT_EQ(s.qos, 0);
  EXPECT_EQ(s.max_payload_bytes, 4096u);
  EXPECT_DOUBLE_EQ(s.low_battery_percent, 0);
}

TEST(LorawanConfigTest, LocatesEveryBadKeyAndValue) {
  const auto errors = errors_of(farm_text(R"(  - name: lora
    type: chirpstack
    topic: application/#
    topic_prefix: application/+
    qos: 2
    max_payload_bytes: 10
    low_battery_percent: 120
    devices:
      - device: soil-z3
        dev_eui: a84041000181c06
        metrics: {rssi: signal, moisture: "", temp_c: soil..temp}
        codec: lse01
)"));
  const std::vector<std::string> expected{
      "farm.yaml:15:5: unknown key 'topic' in sources[0]; expected one of: name, type, "
      "topic_prefix, qos, max_payload_bytes, low_battery_percent, devices",
      "farm.yaml:16:19: topic_prefix must not contain MQTT wildcards ('+', '#')",
      "farm.yaml:17:10: qos must be 0 or 1, got 2",
      "farm.yaml:18:24: max_payload_bytes must be between 256 and 1048576, got 10",
      "farm.yaml:19:26: low_battery_percent must be between 0 and 100 (0 = no alarm), got 120",
      "farm.yaml:22:18: dev_eui must be 16 hex digits (the EUI-64 ChirpStack shows, e.g. "
      "a84041000181c061), got 'a84041000181c06'",
      "farm.yaml:23:19: rssi comes from the radio (rxInfo of each uplink), not from the decoded "
      "object; remove it from metrics",
      "farm.yaml:23:43: the object path must not be empty",
      "farm.yaml:23:55: object path 'soil..temp' has an empty key; write keys joined by '.', "
      "e.g. soil.moisture",
      "farm.yaml:24:9: unknown key 'codec' in sources[0].devices[0]; expected one of: device, "
      "dev_eui, metrics",
  };
  EXPECT_EQ(errors, expected);
}

TEST(LorawanConfigTest, RequiresNameDevicesAndEachDevicesKeys) {
  auto errors = errors_of(farm_text(R"(  - type: chirpstack
)"));
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "farm.yaml:13:5: missing required key 'name' in sources[0]");
  EXPECT_EQ(errors[1], "farm.yaml:13:5: missing required key 'devices' in sources[0]");

  EXPECT_EQ(only_error(farm_text(R"(  - {name: lora, type: chirpstack, devices: []}
)")),
            "farm.yaml:13:45: list at least one device: {device: ID, dev_eui: EUI}");

  errors = errors_of(farm_text(R"(  - name: lora
    type: chirpstack
    devices:
      - {metrics: {}}
)"));
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "farm.yaml:16:9: missing required key 'device' in sources[0].devices[0]");
  EXPECT_EQ(errors[1], "farm.yaml:16:9: missing required key 'dev_eui' in sources[0].devices[0]");
}

TEST(LorawanConfigTest, RefusesADeviceThatIsNotConfigured) {
  EXPECT_EQ(only_error(farm_text(R"(  - name: lora
    type: chirpstack
    devices:
      - {device: soil-z9, dev_eui: a84041000181c061}
)")),
            "farm.yaml:16:18: unknown device 'soil-z9'; devices: soil-z3, soil-z4");
}

TEST(LorawanConfigTest, RefusesAMetricTheKindDoesNotHave) {
  EXPECT_EQ(only_error(farm_text(R"(  - name: lora
    type: chirpstack
    devices:
      - {device: soil-z3, dev_eui: a84041000181c061, metrics: {ec: soilEc}}
)")),
            "farm.yaml:16:64: 'ec' is not a metric of kind 'soil'; it has: moisture, temp_c, "
            "battery");
}

TEST(LorawanConfigTest, RefusesBadDevEuis) {
  for (const char* bad : {"a84041000181c06", "a84041000181c0611", "a84041000181c06g",
                          "a8-40-41-00-01-81-c0-61", "\"\""}) {
    const std::string e = only_error(farm_text(std::string(R"(  - name: lora
    type: chirpstack
    devices:
      - {device: soil-z3, dev_eui: )") + bad + "}\n"));
    EXPECT_EQ(e.rfind("farm.yaml:16:36: dev_eui must be 16 hex digits", 0), 0u) << bad << ": " << e;
  }
}

TEST(LorawanConfigTest, RefusesTheSameDevEuiOrDeviceTwice) {
  const auto errors = errors_of(farm_text(R"(  - name: lora
    type: chirpstack
    devices:
      - {device: soil-z3, dev_eui: a84041000181c061}
      - {device: soil-z4, dev_eui: A84041000181C061}
      - {device: soil-z3, dev_eui: 0004a30b001c0530}
)"));
  const std::vector<std::string> expected{
      "farm.yaml:17:36: duplicate dev_eui 'a84041000181c061' (first at line 16:36)",
      "farm.yaml:18:18: device 'soil-z3' is listed twice in this source (first at line 16:18)",
  };
  EXPECT_EQ(errors, expected);
}

TEST(LorawanConfigTest, RefusesADevEuiThatAnotherSourceOnTheSameTopicsHas) {
  const std::string two =
      R"(  - {name: lora, type: chirpstack, devices: [{device: soil-z3, dev_eui: a84041000181c061}]}
  - {name: lora2, type: chirpstack, devices: [{device: soil-z4, dev_eui: a84041000181c061}]}
)";
  EXPECT_EQ(only_error(farm_text(two)),
            "farm.yaml:14:74: dev_eui 'a84041000181c061' is already listed by source 'lora' on "
            "the same topic_prefix");
  // Another ChirpStack (another prefix) may reuse it.
  std::string other = two;
  other.insert(other.find("devices", other.find("lora2")), "topic_prefix: site2, ");
  load_ok(farm_text(other));
}

}  // namespace
}  // namespace farmgate::config
