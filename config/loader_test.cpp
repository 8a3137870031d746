#include "config/loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/test_util.h"

namespace farmgate::config {
namespace {

using namespace std::chrono_literals;
using namespace farmgate::config::testing;

// ---- every construct ---------------------------------------------------------------------------

TEST(LoaderTest, ReadsEveryKeyIntoTheTypedConfig) {
  const Config c = load_ok(yaml(R"(
site: htx-buoi
timezone: UTC
data_dir: /srv/farmgate
mqtt:
  url: ssl://broker.example:8883
  client_id: gw-1
  username: gw
  password: secret
  keepalive: 45s
  reconnect_min: 500ms
  reconnect_max: 2m
http:
  listen: 127.0.0.1:9090
store:
  path: /data/fg.db
  journal_dir: /data/journal
  batch_max: 100
  batch_interval: 50ms
  queue_max: 1000
  retention: 30d
  outbox_max_rows: 123456
  maintenance_interval: 5m
zones:
  - id: z1
    name: Vườn bưởi
  - id: z2
kinds:
  soil:
    moisture: {unit: "%", min: 0, max: 100}
    temp_c: {unit: °C, min: -10, max: 70.5}
  weather:
    rain_mm: {min: 0, max: 500}
devices:
  - id: soil-z1
    kind: soil
    zone: z1
  - id: ws
    kind: weather
sources:
  - name: field
    type: mqtt_json
    topic: farm/{zone}/{device}/telemetry
    qos: 0
    max_payload_bytes: 4096
uplinks:
  - name: old
    type: influxdb_v1
    url: http://influx:8086
    database: farm
    retention_policy: autogen
    username: u
    password: p
    batch_max: 10
    batch_interval: 2s
    gzip: false
    timeout: 20s
    backoff_min: 2s
    backoff_max: 1h
  - name: new
    type: influxdb_v2
    url: https://cloud.example/influx
    org: coop
    bucket: farm
    token: t0k3n
)"));
  EXPECT_EQ(c.source_file, "farm.yaml");
  EXPECT_EQ(c.site, "htx-buoi");
  EXPECT_EQ(c.timezone, "UTC");
  EXPECT_EQ(c.data_dir, "/srv/farmgate");
  EXPECT_EQ(c.mqtt.url, "ssl://broker.example:8883");
  EXPECT_EQ(c.mqtt.client_id, "gw-1");
  EXPECT_EQ(c.mqtt.username, "gw");
  EXPECT_EQ(c.mqtt.password, "secret");
  EXPECT_EQ(c.mqtt.keepalive, 45s);
  EXPECT_EQ(c.mqtt.reconnect_min, 500ms);
  EXPECT_EQ(c.mqtt.reconnect_max, 2min);
  EXPECT_EQ(c.http.host, "127.0.0.1");
  EXPECT_EQ(c.http.port, 9090);
  EXPECT_EQ(c.store.path, "/data/fg.db");
  EXPECT_EQ(c.store.journal_dir, "/data/journal");
  EXPECT_EQ(c.store.batch_max, 100u);
  EXPECT_EQ(c.store.batch_interval, 50ms);
  EXPECT_EQ(c.store.queue_max, 1000u);
  EXPECT_EQ(c.store.retention, Millis{std::chrono::days{30}});
  EXPECT_EQ(c.store.outbox_max_rows, 123456u);
  EXPECT_EQ(c.store.maintenance_interval, 5min);

  ASSERT_EQ(c.zones.size(), 2u);
  EXPECT_EQ(c.zones[0].id, "z1");
  EXPECT_EQ(c.zones[0].name, "Vườn bưởi");
  EXPECT_EQ(c.zones[1].name, "z2");

  ASSERT_EQ(c.kinds.size(), 2u);
  EXPECT_EQ(c.kinds[0].name, "soil");
  ASSERT_EQ(c.kinds[0].metrics.size(), 2u);
  EXPECT_EQ(c.kinds[0].metrics[1].name, "temp_c");
  EXPECT_EQ(c.kinds[0].metrics[1].unit, "°C");
  EXPECT_EQ(c.kinds[0].metrics[1].min, -10.0);
  EXPECT_EQ(c.kinds[0].metrics[1].max, 70.5);
  EXPECT_EQ(c.kinds[1].metrics[0].unit, "");

  ASSERT_EQ(c.devices.size(), 2u);
  EXPECT_EQ(c.devices[0].id, "soil-z1");
  EXPECT_EQ(c.devices[0].kind, "soil");
  EXPECT_EQ(c.devices[0].zone, "z1");
  EXPECT_EQ(c.devices[1].zone, "");

  ASSERT_EQ(c.mqtt_sources.size(), 1u);
  EXPECT_EQ(c.mqtt_sources[0].name, "field");
  EXPECT_EQ(c.mqtt_sources[0].topic, "farm/{zone}/{device}/telemetry");
  EXPECT_EQ(c.mqtt_sources[0].qos, 0);
  EXPECT_EQ(c.mqtt_sources[0].max_payload_bytes, 4096u);

  ASSERT_EQ(c.uplinks.size(), 2u);
  const UplinkConfig& v1 = c.uplinks[0];
  EXPECT_EQ(v1.name, "old");
  EXPECT_EQ(v1.type, UplinkType::influxdb_v1);
  EXPECT_EQ(v1.url, "http://influx:8086");
  EXPECT_EQ(v1.database, "farm");
  EXPECT_EQ(v1.retention_policy, "autogen");
  EXPECT_EQ(v1.username, "u");
  EXPECT_EQ(v1.password, "p");
  EXPECT_EQ(v1.batch_max, 10u);
  EXPECT_EQ(v1.batch_interval, 2s);
  EXPECT_FALSE(v1.gzip);
  EXPECT_EQ(v1.timeout, 20s);
  EXPECT_EQ(v1.backoff_min, 2s);
  EXPECT_EQ(v1.backoff_max, 1h);
  const UplinkConfig& v2 = c.uplinks[1];
  EXPECT_EQ(v2.type, UplinkType::influxdb_v2);
  EXPECT_EQ(v2.org, "coop");
  EXPECT_EQ(v2.bucket, "farm");
  EXPECT_EQ(v2.token, "t0k3n");
  EXPECT_TRUE(v2.gzip);
}

TEST(LoaderTest, MissingSectionsTakeTheirDefaults) {
  const Config c = load_ok("site: x\n");
  const Config defaults;
  EXPECT_EQ(c.timezone, "Asia/Ho_Chi_Minh");
  EXPECT_EQ(c.data_dir, "/var/lib/farmgate");
  EXPECT_EQ(c.mqtt.url, "tcp://127.0.0.1:1883");
  EXPECT_EQ(c.mqtt.keepalive, defaults.mqtt.keepalive);
  EXPECT_EQ(c.http.host, "0.0.0.0");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.store.batch_max, defaults.store.batch_max);
  EXPECT_EQ(c.store.retention, defaults.store.retention);
  EXPECT_TRUE(c.zones.empty());
  EXPECT_TRUE(c.uplinks.empty());
}

TEST(LoaderTest, ClientIdDefaultsToFarmgateDashSite) {
  EXPECT_EQ(load_ok("site: htx-buoi\n").mqtt.client_id, "farmgate-htx-buoi");
  EXPECT_EQ(load_ok("mqtt: {}\n").mqtt.client_id, "farmgate-demo-farm");
}

TEST(LoaderTest, StorePathsDefaultUnderDataDir) {
  Config c = load_ok("data_dir: /tmp/fg/\n");
  EXPECT_EQ(c.store.path, "/tmp/fg/farmgate.db");
  EXPECT_EQ(c.store.journal_dir, "/tmp/fg/journal");
  c = load_ok("data_dir: /srv/fg\n");
  EXPECT_EQ(c.store.path, "/srv/fg/farmgate.db");
  EXPECT_EQ(c.store.journal_dir, "/srv/fg/journal");
}

TEST(LoaderTest, EmptySectionsAreAllowed) {
  const Config c = load_ok("mqtt:\nzones:\nkinds:\ndevices: []\nuplinks:\n");
  EXPECT_TRUE(c.zones.empty());
  EXPECT_TRUE(c.kinds.empty());
}

TEST(LoaderTest, QuotedScalarsReadLikePlainOnes) {
  const Config c = load_ok("store:\n  batch_max: \"100\"\n  retention: '2d'\n");
  EXPECT_EQ(c.store.batch_max, 100u);
  EXPECT_EQ(c.store.retention, Millis{std::chrono::days{2}});
}

TEST(LoaderTest, HttpListenAcceptsIPv6AndBarePort) {
  Config c = load_ok("http: {listen: \"[::1]:8081\"}\n");
  EXPECT_EQ(c.http.host, "::1");
  EXPECT_EQ(c.http.port, 8081);
  c = load_ok("http: {listen: \":8082\"}\n");
  EXPECT_EQ(c.http.host, "0.0.0.0");
  EXPECT_EQ(c.http.port, 8082);
}

TEST(LoaderTest, FindsZonesDevicesKindsAndMetricsByName) {
  const Config c = load_ok(yaml(kSmallFarm));
  ASSERT_NE(c.find_zone("z2"), nullptr);
  EXPECT_EQ(c.find_zone("z2")->id, "z2");
  EXPECT_EQ(c.find_zone("z9"), nullptr);
  ASSERT_NE(c.find_device("soil-z1"), nullptr);
  EXPECT_EQ(c.find_device("soil-z1")->zone, "z1");
  EXPECT_EQ(c.find_device("nope"), nullptr);
  const DeviceKind* soil = c.find_kind("soil");
  ASSERT_NE(soil, nullptr);
  ASSERT_NE(soil->find_metric("moisture"), nullptr);
  EXPECT_EQ(soil->find_metric("moisture")->max, 100.0);
  EXPECT_EQ(soil->find_metric("ec"), nullptr);
  EXPECT_EQ(c.find_kind("air"), nullptr);
}

// ---- environment -----------------------------------------------------------------------------

TEST(LoaderTest, ExpandsEnvironmentInEveryKindOfScalar) {
  const Config c = load_ok(yaml(R"(
site: ${SITE}
data_dir: ${DIR:-/var/lib/x}
mqtt:
  url: ${MQTT:-tcp://127.0.0.1:1883}
  keepalive: ${KA:-20s}
store:
  batch_max: ${BATCH}
uplinks:
  - name: u
    type: influxdb_v1
    url: http://${HOST}:8086
    database: farm
    gzip: ${GZIP:-false}
)"),
                           env_of({{"SITE", "from-env"}, {"BATCH", "77"}, {"HOST", "influx"}}));
  EXPECT_EQ(c.site, "from-env");
  EXPECT_EQ(c.data_dir, "/var/lib/x");
  EXPECT_EQ(c.mqtt.url, "tcp://127.0.0.1:1883");
  EXPECT_EQ(c.mqtt.keepalive, 20s);
  EXPECT_EQ(c.store.batch_max, 77u);
  ASSERT_EQ(c.uplinks.size(), 1u);
  EXPECT_EQ(c.uplinks[0].url, "http://influx:8086");
  EXPECT_FALSE(c.uplinks[0].gzip);
}

TEST(LoaderTest, ExpandsSeveralReferencesInOneScalar) {
  const Config c = load_ok("mqtt:\n  client_id: farmgate-${FARMGATE_SITE:-demo-farm}-${N:-1}\n",
                           env_of({{"N", "2"}}));
  EXPECT_EQ(c.mqtt.client_id, "farmgate-demo-farm-2");
}

TEST(LoaderTest, DoubleDollarBraceKeepsALiteralDollarBrace) {
  EXPECT_EQ(load_ok("mqtt:\n  password: \"p$${x}q\"\n").mqtt.password, "p${x}q");
}

TEST(LoaderTest, EmptyDefaultGivesEmptyString) {
  EXPECT_EQ(load_ok("mqtt:\n  username: ${U:-}\n").mqtt.username, "");
}

TEST(LoaderTest, UnsetVariableIsAnErrorAtItsScalar) {
  EXPECT_EQ(only_error("site: x\nmqtt:\n  url: ${FARMGATE_MQTT_URL}\n"),
            "farm.yaml:3:8: environment variable FARMGATE_MQTT_URL is not set");
}

TEST(LoaderTest, UnterminatedReferenceIsAnErrorAtItsScalar) {
  EXPECT_EQ(only_error("site: x\ndata_dir: \"${DIR:-/x\"\n"),
            "farm.yaml:2:11: unterminated '${' (missing '}')");
}

TEST(LoaderTest, KeysAreNotExpanded) {
  EXPECT_EQ(
      only_error("${K}: 1\n", env_of({{"K", "site"}})),
      "farm.yaml:1:1: unknown key '${K}' at the top level; expected one of: site, timezone, "
      "data_dir, mqtt, http, store, ocop, zones, kinds, devices, sources, uplinks, actuators, "
            "lines, "
      "location, rules, weather, programs, watering_windows, rain_delay");
}

// ---- unknown keys and many errors at once -----------------------------------------------------

TEST(LoaderTest, ReportsEveryUnknownKeyWithItsLocation) {
  const auto errors = errors_of(yaml(R"(
site: x
colour: green
mqtt:
  url: tcp://b:1883
  keep_alive: 30s
zones:
  - id: z1
    nmae: Vườn
uplinks:
  - name: u
    type: influxdb_v1
    url: ""
    token: abc
)"));
  ASSERT_EQ(errors.size(), 4u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0],
            "farm.yaml:2:1: unknown key 'colour' at the top level; expected one of: site, "
            "timezone, data_dir, mqtt, http, store, ocop, zones, kinds, devices, sources, uplinks, "
            "actuators, lines, location, rules, weather, programs, watering_windows, rain_delay");
  EXPECT_EQ(errors[1],
            "farm.yaml:5:3: unknown key 'keep_alive' in mqtt; expected one of: url, client_id, "
            "username, password, keepalive, reconnect_min, reconnect_max");
  EXPECT_EQ(errors[2],
            "farm.yaml:8:5: unknown key 'nmae' in zones[0]; expected one of: id, name, area_m2, agronomy, "
            "fallback_program");
  EXPECT_EQ(errors[3],
            "farm.yaml:13:5: unknown key 'token' in uplinks[0] (influxdb_v1); expected one of: "
            "name, type, url, batch_max, batch_interval, gzip, timeout, backoff_min, "
            "backoff_max, database, retention_policy, username, password");
}

TEST(LoaderTest, ReportsAllErrorsAtOnceInFileOrder) {
  // The dangling kind is found after everything else is read, yet is listed in its place.
  const auto errors = errors_of(yaml(R"(
devices:
  - {id: d1, kind: air}
site: "bad site"
store:
  batch_max: 0
  retention: 1h
mqtt:
  keepalive: 30
)"));
  ASSERT_EQ(errors.size(), 5u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "farm.yaml:2:20: unknown kind 'air'; no kinds are defined");
  EXPECT_EQ(errors[1],
            "farm.yaml:3:7: 'bad site' may only hold letters a-z A-Z, digits, '_' and '-'");
  EXPECT_EQ(errors[2], "farm.yaml:5:14: batch_max must be between 1 and 100000, got 0");
  EXPECT_EQ(errors[3], "farm.yaml:6:14: retention must be between 1d and 36500d, got 1h");
  EXPECT_EQ(errors[4], "farm.yaml:8:14: expected a duration like 30s, 5m, 2h, 1d, 250ms, got '30'");
}

TEST(LoaderTest, DuplicateKeyIsAnError) {
  EXPECT_EQ(only_error("site: a\nmqtt: {}\nsite: b\n"),
            "farm.yaml:3:1: duplicate key 'site' at the top level (first at line 1:1)");
}

TEST(LoaderTest, ErrorInAnAliasedValueIsReportedOnce) {
  const auto errors = errors_of("store:\n  batch_interval: &i 5x\n  retention: *i\n");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "farm.yaml:2:19: expected a duration like 30s, 5m, 2h, 1d, 250ms, got '5x'");
}

// ---- types -------------------------------------------------------------------------------------

TEST(LoaderTest, WrongTypesAreErrors) {
  const auto errors = errors_of(yaml(R"(
site: [a, b]
mqtt: tcp://b:1883
zones: {id: z1}
store:
  batch_max: lots
  batch_interval: 1.5
uplinks:
  - name: u
    type: influxdb_v1
    url: ""
    gzip: yes
kinds:
  soil:
    moisture: {min: zero, max: 1}
)"));
  ASSERT_EQ(errors.size(), 7u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "farm.yaml:1:7: expected a string, got a list");
  EXPECT_EQ(errors[1],
            "farm.yaml:2:7: expected a mapping (key: value lines) in mqtt, got 'tcp://b:1883'");
  EXPECT_EQ(errors[2],
            "farm.yaml:3:8: expected a list (lines starting with '- ') in zones, got a mapping");
  EXPECT_EQ(errors[3], "farm.yaml:5:14: expected a whole number (0 or more), got 'lots'");
  EXPECT_EQ(errors[4],
            "farm.yaml:6:19: expected a duration like 30s, 5m, 2h, 1d, 250ms, got '1.5'");
  EXPECT_EQ(errors[5], "farm.yaml:11:11: expected true or false, got 'yes'");
  EXPECT_EQ(errors[6], "farm.yaml:14:21: expected a number, got 'zero'");
}

TEST(LoaderTest, NegativeCountsAreRefused) {
  EXPECT_EQ(only_error("store:\n  queue_max: -5\n"),
            "farm.yaml:2:14: expected a whole number (0 or more), got '-5'");
}

TEST(LoaderTest, EmptyValueIsReportedAtItsKey) {
  EXPECT_EQ(only_error("store:\n  retention:\n  batch_max: 10\n"),
            "farm.yaml:2:3: expected a duration like 30s, 5m, 2h, 1d, 250ms, got ''");
}

// ---- structure ---------------------------------------------------------------------------------

TEST(LoaderTest, MissingRequiredKeyPointsAtItsMapping) {
  const auto errors = errors_of(yaml(R"(
zones:
  - name: Vườn cam
kinds:
  soil:
    moisture:
      unit: "%"
devices:
  -   kind: soil
)"));
  ASSERT_EQ(errors.size(), 4u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "farm.yaml:2:5: missing required key 'id' in zones[0]");
  EXPECT_EQ(errors[1], "farm.yaml:6:7: missing required key 'min' in kinds.soil.moisture");
  EXPECT_EQ(errors[2], "farm.yaml:6:7: missing required key 'max' in kinds.soil.moisture");
  EXPECT_EQ(errors[3], "farm.yaml:8:7: missing required key 'id' in devices[0]");
}

TEST(LoaderTest, YamlSyntaxErrorIsOneLocatedError) {
  const auto errors = errors_of("site: x\nmqtt:\n  url: [tcp://b:1883\n  keepalive: 5s\n");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_TRUE(errors[0].starts_with("farm.yaml:")) << errors[0];
  EXPECT_NE(errors[0].find(": invalid YAML: "), std::string::npos) << errors[0];
  EXPECT_FALSE(errors[0].starts_with("farm.yaml:0")) << errors[0];
}

TEST(LoaderTest, BadIndentationIsASyntaxErrorAtItsLine) {
  EXPECT_EQ(only_error("mqtt:\n  url: tcp://b:1883\n keepalive: 5s\n"),
            "farm.yaml:3:2: invalid YAML: end of map not found");
}

TEST(LoaderTest, EmptyFileIsAnError) {
  EXPECT_EQ(only_error(""), "farm.yaml:1:1: the configuration is empty; expected key: value lines");
  EXPECT_EQ(only_error("# only a comment\n"),
            "farm.yaml:1:1: the configuration is empty; expected key: value lines");
}

TEST(LoaderTest, TopLevelMustBeAMapping) {
  EXPECT_EQ(only_error("- site: x\n"),
            "farm.yaml:1:1: expected a mapping (key: value lines) at the top level, got a list");
}

TEST(LoaderTest, SecondDocumentIsAnError) {
  EXPECT_EQ(only_error("site: a\n---\nsite: b\n"),
            "farm.yaml:3:1: a second YAML document ('---') is not allowed; one file holds one "
            "configuration");
}

// ---- files ------------------------------------------------------------------------------------

class LoaderFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("farmgate-config-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const auto path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(LoaderFileTest, LoadsAFileAndRemembersItsPath) {
  const auto path = write("farm.yaml", "site: from-file\n");
  LoadResult r = load_config(path, env_of({}));
  ASSERT_TRUE(std::holds_alternative<Config>(r));
  EXPECT_EQ(std::get<Config>(r).site, "from-file");
  EXPECT_EQ(std::get<Config>(r).source_file, path);
}

TEST_F(LoaderFileTest, ErrorsNameTheFile) {
  const auto path = write("bad.yaml", "site: x\nfoo: 1\n");
  LoadResult r = load_config(path, env_of({}));
  ASSERT_TRUE(std::holds_alternative<std::vector<ConfigError>>(r));
  const auto& errors = std::get<std::vector<ConfigError>>(r);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].file, path);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(errors[0].column, 1);
  EXPECT_TRUE(errors[0].to_string().starts_with(path + ":2:1: unknown key 'foo'"));
}

TEST_F(LoaderFileTest, MissingFileIsOneErrorWithoutALine) {
  const auto path = (dir_ / "missing.yaml").string();
  LoadResult r = load_config(path, env_of({}));
  ASSERT_TRUE(std::holds_alternative<std::vector<ConfigError>>(r));
  const auto& errors = std::get<std::vector<ConfigError>>(r);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 0);
  EXPECT_EQ(errors[0].to_string(), path + ": cannot open: No such file or directory");
}

TEST_F(LoaderFileTest, DirectoryIsAnUnreadableFile) {
  LoadResult r = load_config(dir_.string(), env_of({}));
  ASSERT_TRUE(std::holds_alternative<std::vector<ConfigError>>(r));
  const auto& errors = std::get<std::vector<ConfigError>>(r);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 0);
  EXPECT_EQ(errors[0].to_string(), dir_.string() + ": cannot read: Is a directory");
}

TEST(ConfigErrorTest, PrintsFileLineColumnAndMessage) {
  EXPECT_EQ((ConfigError{"a.yaml", 3, 7, "boom"}).to_string(), "a.yaml:3:7: boom");
  EXPECT_EQ((ConfigError{"a.yaml", 0, 0, "cannot open"}).to_string(), "a.yaml: cannot open");
}

TEST(ProcessEnvTest, ReadsTheProcessEnvironment) {
  ::setenv("FARMGATE_CONFIG_TEST_VAR", "v", 1);
  EXPECT_EQ(process_env()("FARMGATE_CONFIG_TEST_VAR"), "v");
  ::unsetenv("FARMGATE_CONFIG_TEST_VAR");
  EXPECT_EQ(process_env()("FARMGATE_CONFIG_TEST_VAR"), std::nullopt);
}

}  // namespace
}  // namespace farmgate::config
