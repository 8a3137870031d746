// The validation rules of the configuration layout, one behaviour per test, each checked with the
// exact message and location `farmgate check` prints.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/test_util.h"

namespace farmgate::config {
namespace {

using namespace std::chrono_literals;
using namespace farmgate::config::testing;

// kSmallFarm plus `more`, which starts on line 10.
std::string farm_with(std::string_view more) {
  return yaml(kSmallFarm) + yaml(more);
}

// ---- site, timezone, data_dir -----------------------------------------------------------------

TEST(SchemaTest, SiteMayHoldOnlyLettersDigitsUnderscoreAndDash) {
  EXPECT_EQ(only_error("site: demo.farm\n"),
            "farm.yaml:1:7: 'demo.farm' may only hold letters a-z A-Z, digits, '_' and '-'");
  EXPECT_EQ(only_error("site: \"\"\n"), "farm.yaml:1:7: must not be empty");
}

TEST(SchemaTest, TimezoneMustBeAnInstalledZone) {
  EXPECT_EQ(load_ok("timezone: Europe/Berlin\n").timezone, "Europe/Berlin");
  EXPECT_EQ(only_error("timezone: Asia/Hanoi\n"),
            "farm.yaml:1:11: unknown time zone 'Asia/Hanoi'; expected an IANA name like "
            "Asia/Ho_Chi_Minh (see /usr/share/zoneinfo)");
}

TEST(SchemaTest, DataDirMustNotBeEmpty) {
  EXPECT_EQ(only_error("data_dir: ${D:-}\n"), "farm.yaml:1:11: must not be empty");
}

// ---- mqtt
// ----------------------------------------------------------------------------------------

TEST(SchemaTest, MqttUrlNeedsAKnownSchemeHostAndPort) {
  for (const char* ok : {"tcp://b:1883", "ssl://b:8883", "mqtt://b:1", "mqtts://b:2", "ws://b:3",
                         "wss://b:4/mqtt"}) {
    EXPECT_EQ(load_ok(std::string("mqtt: {url: \"") + ok + "\"}\n").mqtt.url, ok);
  }
  EXPECT_EQ(only_error("mqtt:\n  url: http://b:1883\n"),
            "farm.yaml:2:8: bad url 'http://b:1883': scheme 'http' is not one of tcp, ssl, mqtt, "
            "mqtts, ws, wss");
  EXPECT_EQ(only_error("mqtt:\n  url: tcp://broker\n"),
            "farm.yaml:2:8: bad url 'tcp://broker': a port is required");
  EXPECT_EQ(only_error("mqtt:\n  url: tcp://:1883\n"),
            "farm.yaml:2:8: bad url 'tcp://:1883': no host");
}

TEST(SchemaTest, MqttKeepaliveIsWholeSecondsWithinTheProtocolLimit) {
  EXPECT_EQ(only_error("mqtt:\n  keepalive: 1500ms\n"),
            "farm.yaml:2:14: keepalive must be whole seconds, got 1500ms");
  EXPECT_EQ(only_error("mqtt:\n  keepalive: 0s\n"),
            "farm.yaml:2:14: keepalive must be between 1s and 65535s, got 0s");
  EXPECT_EQ(load_ok("mqtt:\n  keepalive: 1m\n").mqtt.keepalive, 60s);
}

TEST(SchemaTest, MqttReconnectMaxMustNotBeBelowReconnectMin) {
  EXPECT_EQ(only_error("mqtt:\n  reconnect_min: 10s\n  reconnect_max: 5s\n"),
            "farm.yaml:3:18: reconnect_max (5s) must not be less than reconnect_min (10s)");
  // Against the default reconnect_max (60s), located at the key that was written.
  EXPECT_EQ(only_error("mqtt:\n  reconnect_min: 1h\n"),
            "farm.yaml:2:18: reconnect_max (1m) must not be less than reconnect_min (1h)");
}

// ---- http
// ----------------------------------------------------------------------------------------

TEST(SchemaTest, HttpListenMustBeHostColonPort) {
  EXPECT_EQ(only_error("http:\n  listen: 8080\n"),
            "farm.yaml:2:11: expected HOST:PORT, e.g. 0.0.0.0:8080, [::1]:8080 or :8080, got "
            "'8080'");
  EXPECT_FALSE(errors_of("http:\n  listen: \"0.0.0.0:0\"\n").empty());
  EXPECT_EQ(only_error("http:\n  port: 8080\n"),
            "farm.yaml:2:3: unknown key 'port' in http; expected one of: listen, web_dir, "
            "tls_cert, tls_key");
}

TEST(SchemaTest, HttpsNeedsBothTheCertificateAndItsKey) {
  EXPECT_EQ(only_error("http:\n  tls_cert: /etc/farmgate/cert.pem\n"),
            "farm.yaml:2:13: HTTPS needs both tls_cert and tls_key; tls_key is missing");
  const Config c = load_ok("http:\n  tls_cert: /c.pem\n  tls_key: /k.pem\n");
  EXPECT_EQ(c.http.tls_cert, "/c.pem");
  EXPECT_EQ(c.http.tls_key, "/k.pem");
}

// ---- store
// ---------------------------------------------------------------------------------------

TEST(SchemaTest, StoreBatchMaxIsOneToOneHundredThousand) {
  EXPECT_EQ(load_ok("store: {batch_max: 1}\n").store.batch_max, 1u);
  EXPECT_EQ(load_ok("store: {batch_max: 100000, queue_max: 100000}\n").store.batch_max, 100000u);
  EXPECT_EQ(only_error("store:\n  batch_max: 100001\n  queue_max: 200000\n"),
            "farm.yaml:2:14: batch_max must be between 1 and 100000, got 100001");
}

TEST(SchemaTest, StoreRetentionIsAtLeastOneDay) {
  EXPECT_EQ(load_ok("store: {retention: 24h}\n").store.retention, 24h);
  EXPECT_EQ(only_error("store:\n  retention: 23h\n"),
            "farm.yaml:2:14: retention must be between 1d and 36500d, got 23h");
}

TEST(SchemaTest, StoreQueueMustHoldAtLeastOneBatch) {
  EXPECT_EQ(only_error("store:\n  batch_max: 500\n  queue_max: 100\n"),
            "farm.yaml:3:14: queue_max (100) must not be less than batch_max (500)");
}

TEST(SchemaTest, StoreDurationsMustBePositive) {
  EXPECT_EQ(only_error("store:\n  batch_interval: 0ms\n"),
            "farm.yaml:2:19: batch_interval must be between 1ms and 1m, got 0s");
  EXPECT_EQ(only_error("store:\n  maintenance_interval: 0s\n"),
            "farm.yaml:2:25: maintenance_interval must be between 1s and 1d, got 0s");
}

TEST(SchemaTest, StoreOutboxMaxRowsIsAtLeastOne) {
  EXPECT_EQ(only_error("store:\n  outbox_max_rows: 0\n"),
            "farm.yaml:2:20: outbox_max_rows must be between 1 and 1000000000, got 0");
}

// ---- zones, kinds, devices ---------------------------------------------------------------------

TEST(SchemaTest, ZoneIdsMustBeWellFormedAndUnique) {
  const auto errors = errors_of(yaml(R"(
zones:
  - id: z1
  - id: "z 2"
  - id: z1
)"));
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "farm.yaml:3:9: 'z 2' may only hold letters a-z A-Z, digits, '_' and '-'");
  EXPECT_EQ(errors[1], "farm.yaml:4:9: duplicate zone id 'z1' (first at line 2:9)");
}

TEST(SchemaTest, TheSameNameMayBeUsedInDifferentLists) {
  const Config c = load_ok(yaml(R"(
zones: [{id: x}]
kinds: {x: {v: {min: 0, max: 1}}}
devices: [{id: x, kind: x, zone: x}]
sources: [{name: x, type: mqtt_json, topic: "t/{device}"}]
uplinks: [{name: x, type: influxdb_v1, url: "http://h", database: d}]
)"));
  EXPECT_EQ(c.devices.size(), 1u);
}

TEST(SchemaTest, KindAndMetricNamesMustBeWellFormedAndUnique) {
  const auto errors = errors_of(yaml(R"(
kinds:
  soil probe:
    v: {min: 0, max: 1}
  soil:
    a/b: {min: 0, max: 1}
    v: {min: 0, max: 1}
    v: {min: 0, max: 2}
  soil:
    w: {min: 0, max: 1}
)"));
  ASSERT_EQ(errors.size(), 4u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0],
            "farm.yaml:2:3: 'soil probe' may only hold letters a-z A-Z, digits, '_' and '-'");
  EXPECT_EQ(errors[1], "farm.yaml:5:5: 'a/b' may only hold letters a-z A-Z, digits, '_' and '-'");
  EXPECT_EQ(errors[2], "farm.yaml:7:5: duplicate key 'v' in kinds.soil (first at line 6:5)");
  EXPECT_EQ(errors[3], "farm.yaml:8:3: duplicate key 'soil' in kinds (first at line 4:3)");
}

TEST(SchemaTest, MetricMinMustBeBelowMax) {
  EXPECT_EQ(only_error("kinds:\n  soil:\n    moisture: {unit: \"%\", min: 100, max: 0}\n"),
            "farm.yaml:3:42: max (0) must be greater than min (100)");
  EXPECT_EQ(only_error("kinds:\n  soil:\n    m: {min: 1.5, max: 1.5}\n"),
            "farm.yaml:3:24: max (1.5) must be greater than min (1.5)");
}

TEST(SchemaTest, TsIsNotAMetricName) {
  EXPECT_EQ(only_error("kinds:\n  soil:\n    ts: {min: 0, max: 1}\n"),
            "farm.yaml:3:5: 'ts' cannot be a metric: it is the timestamp in telemetry messages");
}

TEST(SchemaTest, KindNeedsAtLeastOneMetric) {
  EXPECT_EQ(only_error("kinds:\n  soil: {}\n"),
            "farm.yaml:2:9: kind 'soil' has no metrics; list them as NAME: {unit, min, max}");
}

TEST(SchemaTest, DeviceKindMustNameAKind) {
  EXPECT_EQ(only_error(farm_with("  - {id: d2, kind: air}\n")),
            "farm.yaml:10:20: unknown kind 'air'; defined kinds: soil");
}

TEST(SchemaTest, DeviceZoneMustNameAZoneOrBeAbsent) {
  EXPECT_EQ(only_error(farm_with("  - {id: d2, kind: soil, zone: z9}\n")),
            "farm.yaml:10:32: unknown zone 'z9'; defined zones: z1, z2");
  const Config c =
      load_ok(farm_with("  - {id: d2, kind: soil}\n  - {id: d3, kind: soil, zone: \"\"}\n"));
  EXPECT_EQ(c.find_device("d2")->zone, "");
  EXPECT_EQ(c.find_device("d3")->zone, "");
}

TEST(SchemaTest, DevicesMayComeBeforeTheKindsAndZonesTheyName) {
  const Config c = load_ok(yaml(R"(
devices: [{id: d, kind: soil, zone: z}]
zones: [{id: z}]
kinds: {soil: {m: {min: 0, max: 1}}}
)"));
  EXPECT_EQ(c.devices.at(0).kind, "soil");
}

TEST(SchemaTest, DeviceIdsMustBeUnique) {
  EXPECT_EQ(only_error(farm_with("  - {id: soil-z1, kind: soil}\n")),
            "farm.yaml:10:10: duplicate device id 'soil-z1' (first at line 9:10)");
}

// ---- sources
// -------------------------------------------------------------------------------------

std::string source(std::string_view fields) {
  return "sources:\n  - {name: s, type: mqtt_json, " + std::string(fields) + "}\n";
}

TEST(SchemaTest, SourceTopicMustHoldDeviceAsAWholeLevel) {
  EXPECT_EQ(only_error(source("topic: \"farm/{zone}/telemetry\"")),
            "farm.yaml:2:39: topic 'farm/{zone}/telemetry' must hold {device} as a whole level");
  EXPECT_EQ(only_error(source("topic: \"farm/dev-{device}\"")),
            "farm.yaml:2:39: topic level 'dev-{device}' is not allowed; a placeholder ({device} "
            "or {zone}) must be a whole level, and no others exist");
}

TEST(SchemaTest, SourceTopicMayHoldZoneAsAWholeLevel) {
  EXPECT_EQ(load_ok(source("topic: \"{zone}/{device}\"")).mqtt_sources.at(0).topic,
            "{zone}/{device}");
  EXPECT_FALSE(errors_of(source("topic: \"farm/z{zone}/{device}\"")).empty());
  EXPECT_FALSE(errors_of(source("topic: \"{zone}/{zone}/{device}\"")).empty());
}

TEST(SchemaTest, SourceTopicMayHoldNoOtherPlaceholderNorWildcards) {
  EXPECT_FALSE(errors_of(source("topic: \"farm/{site}/{device}\"")).empty());
  EXPECT_EQ(only_error(source("topic: \"farm/+/{device}\"")),
            "farm.yaml:2:39: topic 'farm/+/{device}' may not hold MQTT wildcards '+' or '#'; use "
            "{device} and {zone} for the levels that vary");
  EXPECT_FALSE(errors_of(source("topic: \"farm/{device}/#\"")).empty());
}

TEST(SchemaTest, UnquotedTopicStartingWithABraceGetsAHint) {
  EXPECT_EQ(only_error("sources:\n  - name: s\n    type: mqtt_json\n    topic: {device}\n"),
            "farm.yaml:4:12: expected a topic string; quote a topic that starts with '{', e.g. "
            "\"{device}/telemetry\"");
}

TEST(SchemaTest, SourceQosIsZeroOrOne) {
  EXPECT_EQ(load_ok(source("topic: \"{device}\", qos: 0")).mqtt_sources.at(0).qos, 0);
  EXPECT_EQ(only_error(source("topic: \"{device}\", qos: 2")),
            "farm.yaml:2:56: qos must be 0 or 1, got 2");
}

TEST(SchemaTest, SourceMaxPayloadBytesIs64ToOneMebibyte) {
  EXPECT_EQ(load_ok(source("topic: \"{device}\", max_payload_bytes: 64"))
                .mqtt_sources.at(0)
                .max_payload_bytes,
            64u);
  EXPECT_EQ(load_ok(source("topic: \"{device}\", max_payload_bytes: 1048576"))
                .mqtt_sources.at(0)
                .max_payload_bytes,
            1048576u);
  EXPECT_EQ(only_error(source("topic: \"{device}\", max_payload_bytes: 63")),
            "farm.yaml:2:70: max_payload_bytes must be between 64 and 1048576, got 63");
  EXPECT_FALSE(errors_of(source("topic: \"{device}\", max_payload_bytes: 1048577")).empty());
}

TEST(SchemaTest, SourceDefaultsApply) {
  const MqttJsonSource s = load_ok(source("topic: \"{device}\"")).mqtt_sources.at(0);
  EXPECT_EQ(s.qos, 1);
  EXPECT_EQ(s.max_payload_bytes, 16u * 1024);
}

TEST(SchemaTest, SourceTypeMustBeKnown) {
  EXPECT_EQ(only_error("sources:\n  - {name: s, type: opcua, port: /dev/ttyUSB0}\n"),
            "farm.yaml:2:21: unknown source type 'opcua'; expected one of: mqtt_json, modbus, "
            "chirpstack, camera, gpio_pulse");
  EXPECT_EQ(only_error("sources:\n  - {name: s, topic: \"{device}\"}\n"),
            "farm.yaml:2:5: missing required key 'type' in sources[0]");
}

TEST(SchemaTest, SourceNamesMustBeUnique) {
  EXPECT_EQ(only_error(yaml(R"(
sources:
  - {name: s, type: mqtt_json, topic: "a/{device}"}
  - {name: s, type: mqtt_json, topic: "b/{device}"}
)")),
            "farm.yaml:3:12: duplicate source name 's' (first at line 2:12)");
}

// ---- uplinks
// -------------------------------------------------------------------------------------

std::string v1(std::string_view more) {
  return "uplinks:\n  - name: u\n    type: influxdb_v1\n" + std::string(more);
}

TEST(SchemaTest, UplinkWithEmptyUrlIsLeftOut) {
  const std::string text = v1("    url: ${FARMGATE_INFLUX_URL:-}\n    database: farm\n");
  EXPECT_TRUE(load_ok(text).uplinks.empty());
  const Config c = load_ok(text, env_of({{"FARMGATE_INFLUX_URL", "http://influx:8086"}}));
  ASSERT_EQ(c.uplinks.size(), 1u);
  EXPECT_EQ(c.uplinks[0].url, "http://influx:8086");
}

TEST(SchemaTest, DisabledUplinkNeedsNoDatabaseButItsKeysAreStillChecked) {
  EXPECT_TRUE(load_ok(v1("    url: \"\"\n")).uplinks.empty());
  EXPECT_TRUE(only_error(v1("    url: \"\"\n    databse: farm\n"))
                  .starts_with("farm.yaml:5:5: unknown key 'databse' in uplinks[0] (influxdb_v1)"));
}

TEST(SchemaTest, UplinkUrlIsRequiredEvenIfEmpty) {
  EXPECT_EQ(only_error(v1("    database: farm\n")),
            "farm.yaml:2:5: missing required key 'url' in uplinks[0] (influxdb_v1)");
}

TEST(SchemaTest, UplinkUrlMustBeHttpOrHttpsWithAHost) {
  EXPECT_EQ(only_error(v1("    url: influx:8086\n    database: farm\n")),
            "farm.yaml:4:10: bad url 'influx:8086': expected SCHEME://HOST...");
  EXPECT_EQ(only_error(v1("    url: tcp://influx:8086\n    database: farm\n")),
            "farm.yaml:4:10: bad url 'tcp://influx:8086': expected http:// or https://");
  EXPECT_EQ(only_error(v1("    url: \"http://\"\n    database: farm\n")),
            "farm.yaml:4:10: bad url 'http://': no host");
}

TEST(SchemaTest, InfluxV1NeedsADatabase) {
  EXPECT_EQ(only_error(v1("    url: http://h:8086\n")),
            "farm.yaml:2:5: an influxdb_v1 uplink needs database");
  EXPECT_EQ(only_error(v1("    url: http://h:8086\n    database: ${DB:-}\n")),
            "farm.yaml:5:15: an influxdb_v1 uplink needs database");
}

TEST(SchemaTest, InfluxV2NeedsOrgAndBucket) {
  const auto errors = errors_of("uplinks:\n  - {name: u, type: influxdb_v2, url: \"http://h\"}\n");
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "farm.yaml:2:5: an influxdb_v2 uplink needs org");
  EXPECT_EQ(errors[1], "farm.yaml:2:5: an influxdb_v2 uplink needs bucket");
}

TEST(SchemaTest, UplinkKeysOfTheOtherTypeAreUnknown) {
  const auto errors = errors_of(
      "uplinks:\n  - {name: u, type: influxdb_v2, url: \"http://h\", org: o, bucket: b, "
      "database: d}\n");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_TRUE(
      errors[0].starts_with("farm.yaml:2:70: unknown key 'database' in uplinks[0] "
                            "(influxdb_v2); expected one of: "))
      << errors[0];
}

TEST(SchemaTest, UplinkTypeMustBeKnown) {
  EXPECT_EQ(only_error("uplinks:\n  - {name: u, type: influxdb_v3, url: \"http://h\"}\n"),
            "farm.yaml:2:21: unknown uplink type 'influxdb_v3'; expected one of: influxdb_v1, "
            "influxdb_v2");
}

TEST(SchemaTest, UplinkBatchMaxIsOneToOneHundredThousand) {
  EXPECT_EQ(only_error(v1("    url: \"\"\n    batch_max: 0\n")),
            "farm.yaml:5:16: batch_max must be between 1 and 100000, got 0");
  EXPECT_FALSE(errors_of(v1("    url: \"\"\n    batch_max: 100001\n")).empty());
}

TEST(SchemaTest, UplinkBackoffMinMustNotExceedBackoffMax) {
  EXPECT_EQ(only_error(v1("    url: \"\"\n    backoff_min: 10m\n    backoff_max: 1m\n")),
            "farm.yaml:6:18: backoff_max (1m) must not be less than backoff_min (10m)");
  EXPECT_TRUE(errors_of(v1("    url: \"\"\n    backoff_min: 1m\n    backoff_max: 1m\n")).empty());
}

TEST(SchemaTest, UplinkNamesMustBeUniqueEvenWhenDisabled) {
  EXPECT_EQ(only_error(yaml(R"(
uplinks:
  - {name: u, type: influxdb_v1, url: "", database: a}
  - {name: u, type: influxdb_v2, url: "", org: o, bucket: b}
)")),
            "farm.yaml:3:12: duplicate uplink name 'u' (first at line 2:12)");
}

TEST(SchemaTest, SeveralUplinksAreKeptInOrder) {
  const Config c = load_ok(yaml(R"(
uplinks:
  - {name: a, type: influxdb_v2, url: "https://a", org: o, bucket: b}
  - {name: off, type: influxdb_v1, url: "", database: d}
  - {name: c, type: influxdb_v1, url: "http://c:8086", database: d}
)"));
  ASSERT_EQ(c.uplinks.size(), 2u);
  EXPECT_EQ(c.uplinks[0].name, "a");
  EXPECT_EQ(c.uplinks[1].name, "c");
}

}  // namespace
}  // namespace farmgate::config
