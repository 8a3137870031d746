// The field devices end to end (farmgate issue 6): the real `farmgate run` with a real Mosquitto,
// a libmodbus TCP slave playing a soil probe, ChirpStack v4 uplinks published on the broker as
// ChirpStack's MQTT integration does, and an HTTP server playing an IP camera behind basic auth.
// Everything is checked through the daemon's own outputs only: its SQLite store (read-only), its
// snapshot index and API, /metrics and the alarms it publishes on MQTT.
//
// One daemon serves the whole scenario, because starting it is most of the cost: readings of
// every source first, then the Modbus slave stops (offline alarm, and the camera's alarm picture)
// and comes back (online event).
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <mqtt/async_client.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "sensors/camera/test_http_server.h"
#include "sensors/camera/test_images.h"
#include "sensors/modbus/test_slave.h"
#include "tests/integration/harness.h"

namespace farmgate::itest {
namespace {

namespace json = boost::json;
using sensors::camera::testing::field_jpeg;
using sensors::camera::testing::TestHttpServer;
using sensors::modbus::testing::RegisterSlave;

constexpr char kSite[] = "field-farm";
constexpr char kLoraEui[] = "a84041000181c061";
constexpr char kAppId[] = "17c82e96-be03-4f38-aef3-f83d48582d97";
// Where the camera serves its pictures (Hikvision's snapshot URL).
constexpr char kSnapPath[] = "/ISAPI/Streaming/channels/101/picture";
constexpr char kCamUser[] = "viewer";
constexpr char kCamPassword[] = "leaf-2026";
constexpr char kWebUser[] = "itest";
constexpr int kProbeUnit = 1;

struct Stored {
  std::int64_t ts;
  double value;
  std::string unit;
  std::string zone;
  std::string kind;
};

// The stored readings of one series, oldest first; empty while the database does not exist yet.
std::vector<Stored> readings(const std::string& db, const std::string& device,
                             const std::string& metric) {
  if (read_file(db).empty()) return {};
  std::vector<Stored> out;
  for (const auto& r : query_db(db,
                                "SELECT r.ts, r.value, s.unit, s.zone, s.kind FROM readings r JOIN "
                                "series s ON s.id = r.series WHERE s.device = '" +
                                    device + "' AND s.metric = '" + metric + "' ORDER BY r.ts")) {
    out.push_back({std::stoll(r[0]), std::stod(r[1]), r[2], r[3], r[4]});
  }
  return out;
}

// ---- HTTP with a token -------------------------------------------------------------------------

struct Answer {
  long status = 0;
  std::string body;
  std::string content_type;
};

std::size_t append(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// GET with "Authorization: Bearer <token>" (none when empty); the harness's http_get sends no
// headers.
Answer get(const std::string& url, const std::string& token) {
  Answer a;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr,
                                                                      &curl_slist_free_all);
  if (!token.empty()) {
    headers.reset(curl_slist_append(nullptr, ("Authorization: Bearer " + token).c_str()));
  }
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &a.body);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10'000L);
  if (curl_easy_perform(curl.get()) == CURLE_OK) {
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &a.status);
    const char* type = nullptr;
    curl_easy_getinfo(curl.get(), CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr) a.content_type = type;
  }
  return a;
}

// ---- farmgate's user command, which reads the password on stdin
// ----------------------------------

// Runs `argv` (no shell) with `input` on its stdin; the exit code, -1 if it did not exit normally.
int run_with_stdin(const std::vector<std::string>& argv, const std::string& input) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    ::dup2(fds[0], 0);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[0]);
  (void)!::write(fds[1], input.data(), input.size());
  ::close(fds[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---- ChirpStack ------------------------------------------------------------------------------

// An uplink of the LoRaWAN probe as ChirpStack v4's MQTT integration publishes it (JSON
// marshaler, AS923-2), with the codec's decoded `object`. No `time` when time_iso is empty.
std::string lora_uplink(std::uint32_t f_cnt, double raw_moisture, double temp,
                        const std::string& time_iso) {
  json::object o{
      {"deduplicationId", "5e1f7c4a-0c1e-4d7b-9d0e-00000000000" + std::to_string(f_cnt % 10)},
      {"deviceInfo",
       {{"tenantName", "ChirpStack"},
        {"applicationId", kAppId},
        {"applicationName", "farm"},
        {"deviceProfileName", "LSE01 soil probe"},
        {"deviceName", "lora-z2"},
        {"devEui", kLoraEui}}},
      {"devAddr", "00189440"},
      {"fCnt", f_cnt},
      {"fPort", 2},
      {"object", {{"soilRaw", raw_moisture}, {"soil", {{"temp", temp}}}, {"batteryLevel", 87}}},
      {"rxInfo", json::array{json::object{{"gatewayId", "0016c001f153a14c"},
                                          {"rssi", -104},
                                          {"snr", 6.5},
                                          {"crcStatus", "CRC_OK"}}}}};
  if (!time_iso.empty()) o["time"] = time_iso;
  return json::serialize(o);
}

// "2026-11-23T03:55:01.250+00:00" for epoch milliseconds.
std::string iso_time(std::int64_t ms) {
  const std::time_t secs = ms / 1000;
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+00:00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Tasmota relays for the pump and the valve of z1, only so that the daemon's start-up OFF is
// confirmed and raises no "not responding" alarm (which would also trigger the cameras): every
// cmnd/<id>/POWER is answered on stat/<id>/POWER with the same payload.
class RelayEcho {
 public:
  explicit RelayEcho(const std::string& url) : client_(url, "field-devices-relays") {
    client_.set_message_callback([this](mqtt::const_message_ptr m) {
      const std::string& t = m->get_topic();
      client_.publish("stat/" + t.substr(5), m->get_payload_str(), 1, false);
    });
    client_.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
    client_.subscribe("cmnd/+/POWER", 1)->wait();
  }
  ~RelayEcho() {
    try {
      client_.disconnect()->wait();
    } catch (const std::exception&) {
    }
  }
  RelayEcho(const RelayEcho&) = delete;
  RelayEcho& operator=(const RelayEcho&) = delete;

 private:
  mqtt::async_client client_;
};

class FieldDevicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (farmgate_binary().empty()) GTEST_SKIP() << "the farmgate binary is not built";
    try {
      find_program("mosquitto");
    } catch (const std::exception& e) {
      GTEST_SKIP() << "no mosquitto: " << e.what();
    }
    broker_ = std::make_unique<Mosquitto>();
    relays_ = std::make_unique<RelayEcho>(broker_->url());
    // A 3-in-1 probe: 31.5 %, -3.5 °C (a signed register), 0.812 mS/cm.
    slave_.set_holding(kProbeUnit, 0, 315);
    slave_.set_holding(kProbeUnit, 1, static_cast<std::uint16_t>(-35));
    slave_.set_holding(kProbeUnit, 2, 812);
    slave_.start();

    // Mostly leaf: the left 80 % of the picture is green.
    jpeg_ = field_jpeg(320, 240, 0.8);
    const std::string body(jpeg_.begin(), jpeg_.end());
    camera_.route(kSnapPath, {TestHttpServer::Auth::basic, kCamUser, kCamPassword, [body] {
                                return TestHttpServer::Response{200, "image/jpeg", body};
                              }});

    http_port_ = free_port();
    data_dir_ = dir_.subdir("data");
    config_path_ = dir_.file("farmgate.yaml");
    write_file(config_path_, config_text());
  }

  void TearDown() override {
    if (HasFailure() && farmgate_) {
      std::cerr << "---- farmgate log ----\n" << tail(farmgate_->log(), 80) << "\n";
      std::cerr << "---- metrics (field devices) ----\n";
      std::istringstream m(http_get(url("/metrics")).body);
      for (std::string line; std::getline(m, line);) {
        if (line.starts_with("farmgate_modbus_") || line.starts_with("farmgate_lorawan_") ||
            line.starts_with("farmgate_camera_")) {
          std::cerr << line << "\n";
        }
      }
    }
    farmgate_.reset();
    relays_.reset();
    slave_.stop();
  }

  // Literal values only, so that `farmgate check` and `farmgate user` read the same file without
  // the environment.
  std::string config_text() const {
    return config_head(kSite, data_dir_, broker_->url(), http_port_) +
           "zones:\n"
           "  - {id: z1, name: Vườn bưởi}\n"
           "  - {id: z2, name: Vườn cam}\n"
           "kinds:\n"
           "  soil:\n"
           "    moisture: {unit: \"%\", min: 0, max: 100}\n"
           "    temp_c: {unit: \"°C\", min: -10, max: 70}\n"
           "    ec: {unit: mS/cm, min: 0, max: 20}\n"
           "  camera:\n"
           "    canopy_cover: {unit: \"%\", min: 0, max: 100}\n"
           "devices:\n"
           "  - id: soil-z1\n"
           "    kind: soil\n"
           "    zone: z1\n"
           "    calibration:\n"
           "      temp_c: {offset: 0.5}\n"
           "  - id: lora-z2\n"
           "    kind: soil\n"
           "    zone: z2\n"
           "    calibration:\n"
           "      moisture: {raw_dry: 520, raw_wet: 260}\n"
           "  - {id: cam-z1, kind: camera, zone: z1}\n"
           "  - {id: cam-z2, kind: camera, zone: z2}\n"
           // z1 is irrigated, z2 is only watched.
           "actuators:\n"
           "  - {id: pump, type: pump, line: main, max_runtime: 25m,\n"
           "     driver: {type: mqtt_relay, confirm_timeout: 2s}}\n"
           "  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 30m,\n"
           "     driver: {type: mqtt_relay, confirm_timeout: 2s}}\n"
           "lines:\n"
           "  - {id: main}\n"
           "sources:\n"
           "  - name: probes\n"
           "    type: modbus\n"
           "    url: tcp://127.0.0.1:" +
           std::to_string(slave_.port()) + "\n" +
           "    timeout: 200ms\n"
           "    retries: 0\n"
           "    frame_gap: 0ms\n"
           "    offline_after: 2\n"
           "    devices:\n"
           "      - {device: soil-z1, slave: 1, profile: soil-3in1, interval: 1s}\n"
           "  - name: lora\n"
           "    type: chirpstack\n"
           "    devices:\n"
           "      - device: lora-z2\n"
           "        dev_eui: \"" +
           kLoraEui + "\"\n" + "        metrics: {moisture: soilRaw, temp_c: soil.temp}\n" +
           camera_yaml("cam-z1") + camera_yaml("cam-z2");
  }

  // Both cameras fetch the same picture from the same test server.
  std::string camera_yaml(const std::string& name) const {
    return "  - name: " + name + "\n" + "    type: camera\n" + "    device: " + name + "\n" +
           "    url: " + camera_.url(kSnapPath) + "\n" + "    username: " + kCamUser + "\n" +
           "    password: " + kCamPassword + "\n" +
           "    auth: basic\n"
           "    interval: 10s\n"
           "    timeout: 5s\n"
           "    on_runs: false\n"
           "    on_alarms: true\n";
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(http_port_) + path;
  }
  std::string db() const { return data_dir_ + "/farmgate.db"; }
  std::string snapshots_db() const { return data_dir_ + "/snapshots.db"; }

  // A viewer account and its API token, made with the daemon's own command before it starts.
  std::string viewer_token() {
    const std::string bin = farmgate_binary();
    const int added =
        run_with_stdin({bin, "user", "add", kWebUser, "--role", "viewer", "--config", config_path_},
                       "correct-horse\ncorrect-horse\n");
    EXPECT_EQ(added, 0) << "farmgate user add failed";
    auto token = run_command({bin, "user", "token", kWebUser, "--config", config_path_});
    EXPECT_EQ(token.exit_code(), 0) << token.err;
    std::string t = token.out;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return t;
  }

  void start_farmgate() {
    farmgate_ = std::make_unique<Process>(
        std::vector<std::string>{farmgate_binary(), "run", "--config", config_path_},
        ProcessOptions{{}, dir_.path(), "farmgate", false});
    const bool up = wait_for(
        [&] { return !farmgate_->running() || http_get(url("/healthz"), 1s).status == 200; }, 30s,
        50ms);
    ASSERT_TRUE(up && farmgate_->running()) << tail(farmgate_->log());
    // An uplink published before the subscription would be lost (no session holds it).
    ASSERT_TRUE(broker_->wait_subscribed(std::string("farmgate-") + kSite,
                                         "application/+/device/+/event/up"))
        << tail(broker_->log());
  }

  void publish(const std::string& topic, const std::string& payload) {
    mqtt::async_client client(broker_->url(), "field-devices-chirpstack");
    client.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
    client.publish(topic, payload, 1, false)->wait();
    client.disconnect()->wait();
  }

  std::optional<double> metric(const std::string& name,
                               const std::map<std::string, std::string>& labels) const {
    return prometheus_value(http_get(url("/metrics")).body, name, labels);
  }

  TempDir dir_{"farmgate-field"};
  std::unique_ptr<Mosquitto> broker_;  // in SetUp, once mosquitto is known to be there
  std::unique_ptr<RelayEcho> relays_;
  RegisterSlave slave_;
  TestHttpServer camera_;
  std::vector<std::uint8_t> jpeg_;
  int http_port_ = 0;
  std::string data_dir_;
  std::string config_path_;
  std::unique_ptr<Process> farmgate_;
};

TEST_F(FieldDevicesTest, ModbusLorawanAndCameraReadingsReachTheStoreApiMetricsAndAlarms) {
  auto check = run_command({farmgate_binary(), "check", "--config", config_path_});
  ASSERT_EQ(check.exit_code(), 0) << check.out << check.err;
  const std::string token = viewer_token();
  ASSERT_FALSE(token.empty());

  MqttCollector alarms(broker_->url(), "field-devices-alarms",
                       std::string("farmgate/") + kSite + "/alarms");
  alarms.connect();
  ASSERT_NO_FATAL_FAILURE(start_farmgate());

  // ---- LoRaWAN: an uplink with ChirpStack's time, sent twice (a redelivery), and one without a
  // time, also twice: the copy of that one would be stamped with the Pi's clock, so only the
  // frame counter can keep it out of the store.
  const std::string up = std::string("application/") + kAppId + "/device/" + kLoraEui + "/event/up";
  const std::int64_t heard_ms = now_ms() - 3000;
  const std::string first = lora_uplink(41, 390, 27.25, iso_time(heard_ms));
  publish(up, first);
  publish(up, first);
  const std::string second = lora_uplink(42, 312, 26.5, "");
  publish(up, second);
  publish(up, second);

  // ---- readings in the store ---------------------------------------------------------------
  // Modbus soil-z1, through the soil-3in1 profile.
  ASSERT_TRUE(wait_for([&] { return !readings(db(), "soil-z1", "ec").empty(); }, 15s, 100ms))
      << "no Modbus reading of soil-z1 in " << db();
  {
    const auto moisture = readings(db(), "soil-z1", "moisture");
    ASSERT_FALSE(moisture.empty());
    EXPECT_NEAR(moisture.back().value, 31.5, 1e-9);
    EXPECT_EQ(moisture.back().zone, "z1");
    EXPECT_EQ(moisture.back().kind, "soil");
    EXPECT_EQ(moisture.back().unit, "%");
    const auto ec = readings(db(), "soil-z1", "ec");
    EXPECT_NEAR(ec.back().value, 0.812, 1e-9);
    EXPECT_EQ(ec.back().unit, "mS/cm");
    // devices[].calibration applies to every source (docs/sensors/calibration.md): -3.5 °C from
    // the register, +0.5 offset, and the raw value beside it.
    // Raw first: each poll stores both in one batch, so the newest raw value has its partner.
    const auto temp_raw = readings(db(), "soil-z1", "temp_c_raw");
    const auto temp = readings(db(), "soil-z1", "temp_c");
    ASSERT_FALSE(temp.empty());
    EXPECT_NEAR(temp.back().value, -3.0, 1e-9)
        << "the Modbus source stores temp_c uncalibrated (-3.5 is the register's value)";
    EXPECT_FALSE(temp_raw.empty()) << "no temp_c_raw reading of the calibrated Modbus device";
    if (!temp_raw.empty()) {
      EXPECT_NEAR(temp_raw.back().value, -3.5, 1e-9);
      EXPECT_EQ(temp_raw.back().unit, "");
      EXPECT_TRUE(std::any_of(temp.begin(), temp.end(), [&](const Stored& t) {
        return t.ts == temp_raw.back().ts;
      })) << "temp_c_raw has no temp_c at the same time";
    }
  }

  // LoRaWAN lora-z2: two-point calibration 520 (dry, 0 %) .. 260 (wet, 100 %). First until the
  // daemon has handled all four messages, so that a copy let through would be on its way.
  EXPECT_TRUE(wait_for(
      [&] {
        return metric("farmgate_lorawan_uplinks_total", {{"source", "lora"}}).value_or(0) +
                   metric("farmgate_lorawan_duplicates_total", {{"device", "lora-z2"}})
                       .value_or(0) >=
               4.0;
      },
      15s, 100ms))
      << "the daemon did not handle the four uplinks";
  ASSERT_TRUE(
      wait_for([&] { return readings(db(), "lora-z2", "moisture").size() >= 2; }, 15s, 100ms))
      << "the LoRaWAN uplinks did not both reach the store";
  {
    const auto moisture = readings(db(), "lora-z2", "moisture");
    const auto raw = readings(db(), "lora-z2", "moisture_raw");
    const auto temp = readings(db(), "lora-z2", "temp_c");
    ASSERT_EQ(moisture.size(), 2u) << "each uplink once, whatever ChirpStack sent twice";
    ASSERT_EQ(raw.size(), 2u);
    ASSERT_EQ(temp.size(), 2u);
    // The first at ChirpStack's time, the second (no time) at the gateway's reception.
    EXPECT_EQ(moisture[0].ts, heard_ms);
    EXPECT_NEAR(moisture[0].value, 50.0, 1e-9);  // (390 - 520) / (260 - 520) * 100
    EXPECT_NEAR(raw[0].value, 390.0, 1e-9);
    EXPECT_EQ(raw[0].ts, heard_ms);
    EXPECT_EQ(raw[0].zone, "z2");
    EXPECT_NEAR(temp[0].value, 27.25, 1e-9);
    EXPECT_GT(moisture[1].ts, heard_ms);
    EXPECT_NEAR(moisture[1].value, 80.0, 1e-9);  // (312 - 520) / (260 - 520) * 100
    EXPECT_NEAR(raw[1].value, 312.0, 1e-9);
    EXPECT_NEAR(temp[1].value, 26.5, 1e-9);
  }
  EXPECT_EQ(metric("farmgate_lorawan_duplicates_total", {{"device", "lora-z2"}}), 2.0);
  // Accepted uplinks only, each with moisture, moisture_raw and temp_c.
  EXPECT_EQ(metric("farmgate_lorawan_uplinks_total", {{"source", "lora"}}), 2.0);
  EXPECT_EQ(metric("farmgate_lorawan_readings_total", {{"source", "lora"}}), 6.0);

  // The cameras: the first picture is taken at start.
  ASSERT_TRUE(wait_for(
      [&] {
        return !readings(db(), "cam-z1", "canopy_cover").empty() &&
               !readings(db(), "cam-z2", "canopy_cover").empty();
      },
      20s, 100ms))
      << "no canopy_cover reading; camera requests served " << camera_.served(kSnapPath)
      << ", challenged " << camera_.challenged(kSnapPath);
  {
    const auto cover = readings(db(), "cam-z1", "canopy_cover");
    EXPECT_GT(cover.front().value, 50.0);
    EXPECT_LE(cover.front().value, 100.0);
    EXPECT_EQ(cover.front().zone, "z1");
    EXPECT_EQ(cover.front().unit, "%");
    EXPECT_EQ(readings(db(), "cam-z2", "canopy_cover").front().zone, "z2");
    // Only requests that passed the basic-auth check count as served.
    EXPECT_GE(camera_.served(kSnapPath), 1);
  }

  // ---- the snapshot through the API ---------------------------------------------------------
  {
    const std::string jpeg(jpeg_.begin(), jpeg_.end());
    const auto anonymous = get(url("/api/v1/zones/z1/snapshot.jpg"), "");
    EXPECT_EQ(anonymous.status, 401);
    const auto picture = get(url("/api/v1/zones/z1/snapshot.jpg"), token);
    EXPECT_EQ(picture.status, 200) << picture.body;
    EXPECT_EQ(picture.content_type, "image/jpeg");
    EXPECT_TRUE(picture.body == jpeg)
        << "the API served " << picture.body.size() << " bytes, the camera " << jpeg.size();
    const auto meta = get(url("/api/v1/zones/z1/snapshot"), token);
    ASSERT_EQ(meta.status, 200) << meta.body;
    const auto v = json::parse(meta.body).as_object();
    EXPECT_EQ(v.at("camera").as_string(), "cam-z1");
    EXPECT_EQ(v.at("width").to_number<int>(), 320);
    EXPECT_EQ(v.at("height").to_number<int>(), 240);
    EXPECT_GT(v.at("canopy_cover").to_number<double>(), 50.0);
    EXPECT_EQ(get(url("/api/v1/zones/z9/snapshot.jpg"), token).status, 404);
    const auto index = query_db(
        snapshots_db(),
        "SELECT camera, zone, reason FROM snapshots WHERE camera = 'cam-z1' ORDER BY time_ms");
    ASSERT_FALSE(index.empty());
    EXPECT_EQ(index.front(), (std::vector<std::string>{"cam-z1", "z1", "interval"}));
  }

  // ---- Modbus metrics -------------------------------------------------------------------------
  EXPECT_EQ(metric("farmgate_modbus_connected", {{"source", "probes"}}), 1.0);
  EXPECT_GE(metric("farmgate_modbus_polls_total", {{"device", "soil-z1"}}).value_or(0), 1.0);
  EXPECT_GE(metric("farmgate_modbus_readings_total", {{"device", "soil-z1"}}).value_or(0), 3.0);
  EXPECT_GE(metric("farmgate_modbus_requests_total", {{"source", "probes"}}).value_or(0), 1.0);
  EXPECT_EQ(metric("farmgate_modbus_device_offline", {{"device", "soil-z1"}}), 0.0);
  EXPECT_EQ(metric("farmgate_modbus_consecutive_failures", {{"device", "soil-z1"}}), 0.0);
  EXPECT_GT(
      metric("farmgate_modbus_last_success_timestamp_seconds", {{"device", "soil-z1"}}).value_or(0),
      static_cast<double>(heard_ms) / 1000.0 - 60.0);

  // ---- the probe dies: offline after offline_after (2) failed polls -------------------------
  const auto offline_alarm = [&] {
    for (const auto& m : alarms.messages()) {
      if (m.payload.find("modbus_device_offline") != std::string::npos) return true;
    }
    return false;
  };
  ASSERT_FALSE(offline_alarm()) << "modbus_device_offline while the probe answers";
  slave_.stop();
  ASSERT_TRUE(wait_for(offline_alarm, 15s, 100ms)) << "no modbus_device_offline on MQTT";
  for (const auto& m : alarms.messages()) {
    if (m.payload.find("modbus_device_offline") == std::string::npos) continue;
    const auto v = json::parse(m.payload).as_object();
    EXPECT_EQ(v.at("code").as_string(), "modbus_device_offline") << m.payload;
    EXPECT_NE(m.payload.find("soil-z1"), std::string::npos) << m.payload;
  }
  EXPECT_TRUE(wait_for(
      [&] {
        return !query_db(db(),
                         "SELECT id FROM events WHERE code = 'modbus_device_offline' AND "
                         "severity = 'alarm'")
                    .empty();
      },
      5s, 100ms))
      << "the offline alarm is not in the events table";
  EXPECT_EQ(metric("farmgate_modbus_device_offline", {{"device", "soil-z1"}}), 1.0);
  EXPECT_GE(metric("farmgate_modbus_poll_failures_total", {{"device", "soil-z1"}}).value_or(0),
            2.0);
  // on_alarms: the camera takes a picture when an alarm is raised.
  EXPECT_TRUE(wait_for(
      [&] {
        return !query_db(snapshots_db(), "SELECT id FROM snapshots WHERE reason = 'alarm'").empty();
      },
      10s, 100ms))
      << "no alarm snapshot after modbus_device_offline";

  // ---- and comes back on the same port: online (info) ----------------------------------------
  slave_.start();
  EXPECT_TRUE(wait_for(
      [&] {
        return !query_db(db(), "SELECT id FROM events WHERE code = 'modbus_device_online'").empty();
      },
      20s, 100ms))
      << "no modbus_device_online event after the slave came back";
  EXPECT_TRUE(wait_for(
      [&] {
        return metric("farmgate_modbus_device_offline", {{"device", "soil-z1"}}) == 0.0;
      },
      5s, 100ms));

  EXPECT_TRUE(farmgate_->running()) << "farmgate exited";
  EXPECT_EQ(farmgate_->stop(15s), 0) << "farmgate did not stop cleanly on SIGTERM";
}

// z2 has a camera (and a LoRaWAN probe) but no valve: nothing is irrigated there, it is only
// watched. Its picture must be served all the same: camera.md promises the newest picture of
// each zone, and `farmgate check` accepts a camera in a zone without a valve.
TEST_F(FieldDevicesTest, TheSnapshotOfAZoneWithoutAValveIsServed) {
  const std::string token = viewer_token();
  ASSERT_FALSE(token.empty());
  ASSERT_NO_FATAL_FAILURE(start_farmgate());
  ASSERT_TRUE(wait_for(
      [&] {
        return !query_db(snapshots_db(), "SELECT id FROM snapshots WHERE camera = 'cam-z2'")
                    .empty();
      },
      20s, 100ms))
      << "cam-z2 took no picture";
  const std::string jpeg(jpeg_.begin(), jpeg_.end());
  const auto meta = get(url("/api/v1/zones/z2/snapshot"), token);
  EXPECT_EQ(meta.status, 200) << meta.body;
  const auto picture = get(url("/api/v1/zones/z2/snapshot.jpg"), token);
  EXPECT_EQ(picture.status, 200) << picture.body;
  EXPECT_TRUE(picture.body == jpeg) << "the API served " << picture.body.size() << " bytes";
}

}  // namespace
}  // namespace farmgate::itest
