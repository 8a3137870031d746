// An OCOP lot's whole life through the real daemon (farmgate issue 7): an officer creates the
// lot, a farmer keeps its diary, a real irrigation run (farmgate-sim playing the relays) lands
// in the diary by itself, a harvest inside a pesticide's pre-harvest interval is refused and
// then allowed by the officer, the record, QR code (decoded by zbarimg) and label are served,
// the exports are read back by Python's csv module, the harvest reaches InfluxDB, and a diary
// row edited in the SQLite file behind the daemon's back breaks the chain.
//
// One daemon serves the whole story (starting it is most of the cost), restarted once for the
// tampering. Everything is checked through what farmgate offers a person: its API, its CLI,
// its printed pages, and the upstream database.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace farmgate::itest {
namespace {

namespace json = boost::json;

constexpr char kSite[] = "ocop-farm";
constexpr char kLot[] = "BUOI-26A";
constexpr char kProduct[] = "Bưởi da xanh";
constexpr char kDb[] = "farm";
constexpr char kOfficer[] = "officer1";
constexpr char kFarmer[] = "farmer1";
constexpr char kPassword[] = "correct-horse-battery";
constexpr double kZoneArea = 5000;  // m², given to z1 in the config
constexpr double kHarvestKg = 1250.5;
// The pesticide, with Vietnamese text that must survive every export.
constexpr char kPesticide[] = "Regent 800WG";
constexpr char kActive[] = "fipronil";
constexpr char kPesticideUnit[] = "g/bình 16 lít";
constexpr char kPesticideNote[] = "Phun phòng sâu đục trái, sau cơn mưa";
constexpr int kPhiDays = 7;
constexpr auto kPumping = 2500ms;

// ---- dates in the site's time zone (Asia/Ho_Chi_Minh: UTC+7 all year, no DST) -------------

std::string local_date(int days_from_today) {
  const std::time_t t = std::time(nullptr) + 7 * 3600 + days_from_today * 86400;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[16];
  return std::string(buf, std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm));
}

// The test's dates are taken once; a run that would span the site's midnight waits it out.
void wait_past_local_midnight() {
  const std::time_t local = std::time(nullptr) + 7 * 3600;
  const auto left = 86400 - local % 86400;
  if (left < 60) std::this_thread::sleep_for(std::chrono::seconds(left + 1));
}

// A GTIN-13 from its first 12 digits: the GS1 check digit (weights 1, 3, 1, ... from the left).
std::string gtin13(const std::string& first12) {
  int sum = 0;
  for (std::size_t i = 0; i < first12.size(); ++i) {
    sum += (first12[i] - '0') * (i % 2 == 0 ? 1 : 3);
  }
  return first12 + std::to_string((10 - sum % 10) % 10);
}

// ---- HTTP with a bearer token --------------------------------------------------------------

struct Answer {
  long status = 0;
  std::string body;
  std::string content_type;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string error;
};

std::size_t append_body(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::size_t append_header(char* data, std::size_t size, std::size_t n, void* out) {
  const std::string line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

// GET (body empty) or POST of a JSON body, with "Authorization: Bearer <token>".
Answer call(const std::string& url, const std::string& token,
            const std::optional<json::value>& body = std::nullopt) {
  Answer a;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
      curl_slist_append(nullptr, ("Authorization: Bearer " + token).c_str()), &curl_slist_free_all);
  std::string payload;
  if (body) {
    payload = json::serialize(*body);
    headers.reset(curl_slist_append(headers.release(), "Content-Type: application/json"));
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  }
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &a.body);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, &append_header);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &a.headers);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10'000L);
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    a.error = curl_easy_strerror(rc);
    return a;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &a.status);
  const char* type = nullptr;
  curl_easy_getinfo(curl.get(), CURLINFO_CONTENT_TYPE, &type);
  if (type != nullptr) a.content_type = type;
  return a;
}

// The answer's body as a JSON object; {} (and a failure) when it is not one.
json::object object_of(const Answer& a) {
  boost::system::error_code ec;
  auto v = json::parse(a.body, ec);
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "not a JSON object (HTTP " << a.status << " " << a.error
                  << "): " << a.body.substr(0, 300);
    return {};
  }
  return v.as_object();
}

// A member as text, number or bool for comparisons; "" / NaN / nullopt when absent or another
// type, so that a missing key fails the comparison instead of throwing.
std::string str(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
double num(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : std::nan("");
}
std::optional<bool> flag(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (v && v->is_bool()) return v->as_bool();
  return std::nullopt;
}
bool is_null(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_null();
}
json::object obj(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_object() ? v->as_object() : json::object{};
}
json::array arr(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_array() ? v->as_array() : json::array{};
}

bool hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// What a person reads on a page: the text escaped as HTML, whichever of the usual spellings of
// the quote the page chose.
bool page_shows(const std::string& html, const std::string& text) {
  std::string plain;  // the longest quote-free piece is enough to recognise the sentence
  std::string best;
  for (char c : text + "\"") {
    if (c == '"' || c == '\'' || c == '&' || c == '<' || c == '>') {
      if (plain.size() > best.size()) best = plain;
      plain.clear();
    } else {
      plain += c;
    }
  }
  return !best.empty() && html.find(best) != std::string::npos;
}

class OcopLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (farmgate_binary().empty() || sim_binary().empty()) {
      GTEST_SKIP() << "farmgate or farmgate-sim is not built";
    }
    for (const char* tool : {"mosquitto", "influxd", "zbarimg", "python3"}) {
      try {
        find_program(tool);
      } catch (const std::exception& e) {
        GTEST_SKIP() << "needs " << tool << ": " << e.what();
      }
    }
    broker_ = std::make_unique<Mosquitto>();
    influx_ = std::make_unique<InfluxDb>();
    influx_->create_database(kDb);
    http_port_ = free_port();
    data_dir_ = dir_.subdir("data");
    config_path_ = dir_.file("farmgate.yaml");
    write_file(config_path_, config_text());
  }

  void TearDown() override {
    if (HasFailure() && farmgate_) {
      std::cerr << "---- farmgate log ----\n" << tail(farmgate_->log(), 80) << "\n";
    }
    farmgate_.reset();
    sim_.reset();
  }

  // Literal values only, so that `farmgate user` and `farmgate export` read the same file as the
  // daemon without its environment. The reference farm cut down: z1 has the lot, the pump and
  // valve are farmgate-sim's relays, the line's flow meter gives runs their volume.
  std::string config_text() const {
    return config_head(kSite, data_dir_, broker_->url(), http_port_) +
           "ocop:\n"
           "  gs1_base_url: https://htx.example.vn\n"
           "  lot_url: \"https://htx.example.vn/lo/{lot}\"\n"
           "zones:\n"
           "  - {id: z1, name: Vườn bưởi, area_m2: 5000}\n"
           "  - {id: z2, name: Vườn cam}\n"
           "kinds:\n"
           "  soil:\n"
           "    moisture: {unit: \"%\", min: 0, max: 100}\n"
           "    temp_c: {unit: \"°C\", min: -10, max: 70}\n"
           "    ec: {unit: mS/cm, min: 0, max: 20}\n"
           "  flow:\n"
           "    rate: {unit: L/min, min: 0, max: 500}\n"
           "    total: {unit: L, min: 0, max: 1000000000}\n"
           "  tank:\n"
           "    level: {unit: \"%\", min: 0, max: 100}\n"
           "devices:\n"
           "  - {id: soil-z1, kind: soil, zone: z1}\n"
           "  - {id: soil-z2, kind: soil, zone: z2}\n"
           "  - {id: flow-main, kind: flow}\n"
           "  - {id: tank-main, kind: tank}\n"
           "sources:\n"
           "  - name: field\n"
           "    type: mqtt_json\n"
           "    topic: farm/{zone}/{device}/telemetry\n"
           "    qos: 1\n"
           "actuators:\n"
           "  - {id: pump, type: pump, line: main, max_runtime: 2m, min_off: 1s,\n"
           "     driver: {type: mqtt_relay, confirm_timeout: 2s}}\n"
           "  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 3m,\n"
           "     driver: {type: mqtt_relay, confirm_timeout: 2s}}\n"
           "  - {id: valve-z2, type: valve, line: main, zone: z2, max_runtime: 3m,\n"
           "     driver: {type: mqtt_relay, confirm_timeout: 2s}}\n"
           "lines:\n"
           "  - id: main\n"
           "    pump_start_delay: 300ms\n"
           "    valve_close_delay: 300ms\n"
           "    max_open_valves: 1\n"
           "    flow: {meter: flow-main, total: total, min_lpm: 2, verify_after: 45s, "
           "max_lpm: 60}\n"
           "uplinks:\n"
           "  - name: influx\n"
           "    type: influxdb_v1\n"
           "    url: " +
           influx_->url() + "\n" + "    database: " + kDb + "\n" +
           "    batch_interval: 200ms\n"
           "    backoff_min: 200ms\n"
           "    backoff_max: 1s\n";
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(http_port_) + path;
  }
  std::string lot_url(const std::string& rest = "") const {
    return url(std::string("/api/v1/lots/") + kLot + rest);
  }
  std::string db() const { return data_dir_ + "/farmgate.db"; }

  // A user with `role` and an API token for it, made with the daemon's own commands. The
  // password goes in on stdin, twice, as a person types it.
  std::string make_user(const std::string& name, const std::string& role) {
    const std::string bin = farmgate_binary();
    auto added = run_command(
        {"/bin/sh", "-c",
         "printf '%s\\n%s\\n' \"$PW\" \"$PW\" | \"$BIN\" user add \"$NAME\" "
         "--role \"$ROLE\" --config \"$CFG\""},
        {{"PW", kPassword}, {"BIN", bin}, {"NAME", name}, {"ROLE", role}, {"CFG", config_path_}});
    EXPECT_EQ(added.exit_code(), 0) << "farmgate user add " << name << ": " << added.err;
    auto token = run_command({bin, "user", "token", name, "--config", config_path_});
    EXPECT_EQ(token.exit_code(), 0) << token.err;
    return trim(token.out);
  }

  void start_sim() {
    ProcessOptions o;
    o.log_dir = dir_.path();
    o.name = "sim";
    o.split_stdout = true;
    sim_ = std::make_unique<Process>(
        std::vector<std::string>{sim_binary(), "--url", broker_->url(), "--client-id", "ocop-sim",
                                 "--relays", "pump,valve-z1,valve-z2", "--rate", "0.2", "--quiet"},
        o);
    ASSERT_TRUE(broker_->wait_subscribed("ocop-sim-relays", "cmnd/valve-z2/+"))
        << tail(sim_->log());
  }

  void start_farmgate() {
    farmgate_ = std::make_unique<Process>(
        std::vector<std::string>{farmgate_binary(), "run", "--config", config_path_},
        ProcessOptions{{}, dir_.path(), "farmgate", false});
    const bool up = wait_for(
        [&] { return !farmgate_->running() || http_get(url("/healthz"), 1s).status == 200; }, 30s,
        50ms);
    ASSERT_TRUE(up && farmgate_->running()) << tail(farmgate_->log());
  }

  TempDir dir_{"farmgate-ocop"};
  std::unique_ptr<Mosquitto> broker_;
  std::unique_ptr<InfluxDb> influx_;
  std::unique_ptr<Process> sim_;
  std::unique_ptr<Process> farmgate_;
  int http_port_ = 0;
  std::string data_dir_;
  std::string config_path_;
};

TEST_F(OcopLifecycleTest, ALotFromPlantingToATamperedRecord) {
  wait_past_local_midnight();
  const std::string today = local_date(0);
  const std::string planted = local_date(-5);
  const std::string allowed = local_date(kPhiDays);
  const std::string gtin = gtin13("893850000001");
  const std::string gtin14 = "0" + gtin;
  std::string officer, farmer;
  json::object pesticide, irrigation, harvest;

  {
    SCOPED_TRACE("1. the stack: Mosquitto, InfluxDB, farmgate-sim's relays, farmgate");
    officer = make_user(kOfficer, "officer");
    farmer = make_user(kFarmer, "farmer");
    ASSERT_TRUE(officer.starts_with("fgt_")) << officer;
    ASSERT_TRUE(farmer.starts_with("fgt_")) << farmer;
    ASSERT_NO_FATAL_FAILURE(start_sim());
    ASSERT_NO_FATAL_FAILURE(start_farmgate());
  }

  {
    SCOPED_TRACE("2. the officer creates the lot; a farmer may not; bad input is named");
    const json::object zone{{"zone", "z1"}};  // the area comes from the config
    json::object lot{{"code", kLot},         {"product", kProduct},
                     {"variety", "da xanh"}, {"gtin", gtin},
                     {"ocop_stars", 4},      {"zones", json::array{zone}},
                     {"planted", planted},   {"notes", "Hợp tác xã Tân Phú"}};
    auto by_farmer = call(url("/api/v1/lots"), farmer, json::value(lot));
    EXPECT_EQ(by_farmer.status, 403) << by_farmer.body;

    json::object bad_date = lot;
    bad_date["planted"] = "2026-02-30";
    auto bad = call(url("/api/v1/lots"), officer, json::value(bad_date));
    EXPECT_EQ(bad.status, 400) << bad.body;
    EXPECT_EQ(str(object_of(bad), "error"), "bad_input") << bad.body;
    EXPECT_NE(str(object_of(bad), "reason").find("planted"), std::string::npos) << bad.body;

    json::object bad_gtin = lot;
    bad_gtin["gtin"] = gtin.substr(0, 12) + std::to_string((gtin.back() - '0' + 1) % 10);
    auto wrong_digit = call(url("/api/v1/lots"), officer, json::value(bad_gtin));
    EXPECT_EQ(wrong_digit.status, 400) << wrong_digit.body;
    EXPECT_NE(str(object_of(wrong_digit), "reason").find("gtin"), std::string::npos)
        << wrong_digit.body;

    auto created = call(url("/api/v1/lots"), officer, json::value(lot));
    ASSERT_EQ(created.status, 201) << created.body;
    auto o = object_of(created);
    EXPECT_EQ(str(o, "code"), kLot);
    EXPECT_EQ(str(o, "product"), kProduct);
    EXPECT_EQ(str(o, "gtin"), gtin14) << "GTIN-13 kept as GTIN-14";
    EXPECT_EQ(num(o, "ocop_stars"), 4);
    EXPECT_EQ(num(o, "area_m2"), kZoneArea) << "the zone's area from the config";
    EXPECT_EQ(str(o, "planted"), planted);
    EXPECT_TRUE(is_null(o, "closed"));
    EXPECT_EQ(num(o, "entries"), 0);
    EXPECT_TRUE(hex64(str(o, "hash"))) << created.body;
    EXPECT_EQ(str(o, "head"), str(o, "hash"));
    EXPECT_TRUE(str(o, "created_by").find(kOfficer) != std::string::npos) << created.body;

    auto again = call(url("/api/v1/lots"), officer, json::value(lot));
    EXPECT_EQ(again.status, 409) << again.body;
    EXPECT_EQ(str(object_of(again), "error"), "exists");
  }

  {
    SCOPED_TRACE("3. the farmer writes the diary: fertiliser, then a pesticide with a PHI");
    auto fert = call(lot_url("/diary"), farmer,
                     json::value(json::object{{"kind", "fertiliser"},
                                              {"date", today},
                                              {"zone", "z1"},
                                              {"material", "NPK 20-20-15"},
                                              {"amount", 2.5},
                                              {"unit", "kg"},
                                              {"note", "Bón thúc sau mưa"}}));
    ASSERT_EQ(fert.status, 201) << fert.body;
    EXPECT_EQ(str(object_of(fert), "kind"), "fertiliser");

    auto irrigating = call(lot_url("/diary"), farmer,
                           json::value(json::object{{"kind", "irrigation"}, {"date", today}}));
    EXPECT_EQ(irrigating.status, 400) << "irrigation comes from the run log only";

    auto pest = call(lot_url("/diary"), farmer,
                     json::value(json::object{{"kind", "pesticide"},
                                              {"date", today},
                                              {"material", kPesticide},
                                              {"active_ingredient", kActive},
                                              {"amount", 12.5},
                                              {"unit", kPesticideUnit},
                                              {"phi_days", kPhiDays},
                                              {"note", kPesticideNote}}));
    ASSERT_EQ(pest.status, 201) << pest.body;
    pesticide = object_of(pest);
    EXPECT_EQ(str(pesticide, "kind"), "pesticide");
    EXPECT_EQ(str(pesticide, "phi_until"), allowed);
    EXPECT_EQ(str(pesticide, "note"), kPesticideNote);
    EXPECT_NE(str(pesticide, "who").find(kFarmer), std::string::npos) << pest.body;
    EXPECT_EQ(num(pesticide, "seq"), 2);
    EXPECT_EQ(str(pesticide, "prev_hash"), str(object_of(fert), "hash")) << "the chain's link";
  }

  {
    SCOPED_TRACE("4. a real irrigation run on z1 shows in the diary by itself");
    MqttCollector pump(broker_->url(), "ocop-test-pump", "stat/pump/POWER");
    pump.connect();
    // The relays' start-up OFF must be confirmed and the pump's min_off passed first.
    Answer started;
    wait_for(
        [&] {
          started = call(url("/api/v1/zones/z1/irrigate"), farmer,
                         json::value(json::object{{"minutes", 1}}));
          return started.status == 200;
        },
        15s, 250ms);
    ASSERT_EQ(started.status, 200) << started.body;
    const auto run_id = static_cast<std::int64_t>(num(object_of(started), "run_id"));
    ASSERT_GT(run_id, 0) << started.body;
    // Water for a moment: until the pump has been switched on.
    const bool pumping = wait_for(
        [&] {
          for (const auto& m : pump.messages()) {
            if (m.payload == "ON") return true;
          }
          return false;
        },
        10s);
    EXPECT_TRUE(pumping) << "the pump never reported ON";
    // Long enough for the simulated flow meter to count some water into the run's volume.
    std::this_thread::sleep_for(kPumping);
    auto stopped = call(url("/api/v1/zones/z1/stop"), farmer, json::value(json::object{}));
    ASSERT_EQ(stopped.status, 200) << stopped.body;
    std::vector<std::vector<std::string>> run;
    ASSERT_TRUE(wait_for(
        [&] {
          run = query_db(db(),
                         "SELECT zone, start_ms, end_ms, who, reason, ifnull(volume_l, 'null') "
                         "FROM irrigation_runs WHERE id = " +
                             std::to_string(run_id));
          return !run.empty() && !run[0][2].empty();
        },
        10s, 100ms))
        << "run " << run_id << " never ended";
    const auto start_ms = std::stoll(run[0][1]);
    const auto end_ms = std::stoll(run[0][2]);

    auto got = call(lot_url(), officer);
    ASSERT_EQ(got.status, 200) << got.body;
    for (const auto& e : arr(object_of(got), "entries")) {
      if (e.is_object() && str(e.as_object(), "kind") == "irrigation") irrigation = e.as_object();
    }
    ASSERT_FALSE(irrigation.empty()) << "no irrigation entry: " << got.body;
    EXPECT_EQ(num(irrigation, "run_id"), run_id);
    EXPECT_EQ(str(irrigation, "zone"), run[0][0]);
    EXPECT_EQ(str(irrigation, "zone"), "z1");
    EXPECT_EQ(num(irrigation, "start"), start_ms);
    EXPECT_NEAR(num(irrigation, "duration_s"), std::round((end_ms - start_ms) / 1000.0), 1.0);
    EXPECT_EQ(str(irrigation, "who"), run[0][3]);
    EXPECT_EQ(str(irrigation, "reason"), run[0][4]);
    if (run[0][5] == "null") {
      EXPECT_TRUE(is_null(irrigation, "volume_l"));
    } else {
      EXPECT_NEAR(num(irrigation, "volume_l"), std::stod(run[0][5]), 1e-6);
    }
    EXPECT_EQ(str(irrigation, "date"), today);
    EXPECT_GT(num(irrigation, "seq"), num(pesticide, "seq"));

    auto twice = call(lot_url(), officer);
    int count = 0;
    for (const auto& e : arr(object_of(twice), "entries")) {
      count += e.is_object() && str(e.as_object(), "kind") == "irrigation";
    }
    EXPECT_EQ(count, 1) << "a run is imported once";
  }

  {
    SCOPED_TRACE("5. a harvest inside the pre-harvest interval: refused, then the override");
    const json::object ask{
        {"date", today}, {"quantity_kg", kHarvestKg}, {"grade", "loại 1"}, {"final", true}};
    auto refused = call(lot_url("/harvests"), farmer, json::value(ask));
    EXPECT_EQ(refused.status, 409) << refused.body;
    auto why = object_of(refused);
    EXPECT_EQ(str(why, "error"), "pre_harvest_interval") << refused.body;
    const std::string reason = str(why, "reason");
    EXPECT_TRUE(reason.find(kPesticide) != std::string::npos ||
                reason.find(kActive) != std::string::npos)
        << "names the pesticide: " << reason;
    EXPECT_NE(reason.find(allowed), std::string::npos) << "gives the first allowed day: " << reason;

    json::object overriding = ask;
    overriding["override_reason"] = "Lô xuất gấp cho hội chợ OCOP, đã kiểm tra dư lượng";
    auto by_farmer = call(lot_url("/harvests"), farmer, json::value(overriding));
    EXPECT_EQ(by_farmer.status, 403) << by_farmer.body;

    auto by_officer = call(lot_url("/harvests"), officer, json::value(overriding));
    ASSERT_EQ(by_officer.status, 201) << by_officer.body;
    harvest = object_of(by_officer);
    EXPECT_EQ(str(harvest, "kind"), "harvest");
    EXPECT_NE(str(harvest, "override_by").find(kOfficer), std::string::npos) << by_officer.body;
    EXPECT_EQ(str(harvest, "override_reason"), str(overriding, "override_reason"));
    EXPECT_EQ(num(harvest, "quantity_kg"), kHarvestKg);
    EXPECT_EQ(flag(harvest, "final"), std::optional<bool>(true));

    auto after_close = call(lot_url("/diary"), farmer,
                            json::value(json::object{{"kind", "pruning"}, {"date", today}}));
    EXPECT_EQ(after_close.status, 409) << "the final harvest closed the lot: " << after_close.body;
  }

  std::string page_before;
  {
    SCOPED_TRACE("6. the lot and its record: chain verified, water and harvest summed");
    auto got = call(lot_url(), officer);
    ASSERT_EQ(got.status, 200) << got.body;
    auto o = object_of(got);
    auto chain = obj(o, "chain");
    EXPECT_EQ(flag(chain, "ok"), std::optional<bool>(true)) << got.body;
    EXPECT_EQ(num(chain, "entries"), 4);
    EXPECT_TRUE(is_null(chain, "broken_at"));
    EXPECT_EQ(num(o, "harvest_kg"), kHarvestKg);
    EXPECT_NEAR(num(o, "yield_kg_ha"), kHarvestKg / (kZoneArea / 10000), 1e-6);
    EXPECT_EQ(str(o, "url"), "https://htx.example.vn/01/" + gtin14 + "/10/" + kLot);
    auto lot = obj(o, "lot");
    EXPECT_EQ(str(lot, "closed"), today);
    EXPECT_EQ(num(lot, "entries"), 4);
    EXPECT_EQ(str(lot, "head"), str(harvest, "hash"));

    auto list = call(url("/api/v1/lots"), farmer);  // viewers and up read
    ASSERT_EQ(list.status, 200) << list.body;
    auto lots = arr(object_of(list), "lots");
    ASSERT_EQ(lots.size(), 1u) << list.body;
    EXPECT_EQ(str(lots[0].as_object(), "code"), kLot);
    EXPECT_EQ(num(lots[0].as_object(), "harvest_kg"), kHarvestKg);

    auto rec = call(lot_url("/record"), officer);
    ASSERT_EQ(rec.status, 200) << rec.body;
    auto r = object_of(rec);
    auto water = obj(r, "water");
    EXPECT_EQ(num(water, "irrigation_count"), 1) << rec.body;
    // Derived figures come rounded to two decimals (trace.cpp), sums exactly.
    constexpr double kRounded = 0.005 + 1e-9;
    EXPECT_NEAR(num(water, "irrigation_minutes"), num(irrigation, "duration_s") / 60.0, kRounded);
    if (is_null(irrigation, "volume_l")) {
      EXPECT_TRUE(is_null(water, "water_l")) << rec.body;
      EXPECT_EQ(num(water, "runs_without_volume"), 1) << rec.body;
    } else {
      EXPECT_NEAR(num(water, "water_l"), num(irrigation, "volume_l"), 1e-9) << rec.body;
      EXPECT_NEAR(num(water, "water_l_per_kg"), num(irrigation, "volume_l") / kHarvestKg, kRounded)
          << rec.body;
    }
    EXPECT_NEAR(num(obj(r, "harvest"), "total_kg"), kHarvestKg, 1e-9);
    EXPECT_NEAR(num(obj(r, "harvest"), "yield_kg_ha"), kHarvestKg / (kZoneArea / 10000), kRounded);
    EXPECT_EQ(arr(r, "harvests").size(), 1u);
    EXPECT_EQ(arr(r, "diary").size(), 3u) << "fertiliser, pesticide, irrigation";
    EXPECT_EQ(flag(obj(r, "chain"), "ok"), std::optional<bool>(true));
    EXPECT_EQ(str(obj(r, "lot"), "product"), kProduct);

    auto page = call(lot_url("/record?format=html&lang=vi"), officer);
    ASSERT_EQ(page.status, 200);
    EXPECT_TRUE(page.content_type.starts_with("text/html")) << page.content_type;
    EXPECT_NE(page.body.find(kProduct), std::string::npos);
    EXPECT_NE(page.body.find(kLot), std::string::npos);
    page_before = page.body;
  }

  {
    SCOPED_TRACE("7. the QR code decodes to the GS1 Digital Link; the label prints");
    auto png = call(lot_url("/qr.png"), farmer);
    ASSERT_EQ(png.status, 200) << png.body.substr(0, 200);
    EXPECT_TRUE(png.content_type.starts_with("image/png")) << png.content_type;
    ASSERT_TRUE(png.body.starts_with("\x89PNG\r\n\x1a\n"));
    const std::string file = dir_.file("qr.png");
    write_file(file, png.body);
    auto decoded = run_command({find_program("zbarimg"), "--raw", "-q", file}, {}, 20s);
    EXPECT_EQ(decoded.exit_code(), 0) << decoded.err;
    EXPECT_EQ(trim(decoded.out), "https://htx.example.vn/01/" + gtin14 + "/10/" + kLot);

    auto svg = call(lot_url("/qr.svg"), farmer);
    EXPECT_EQ(svg.status, 200);
    EXPECT_TRUE(svg.content_type.starts_with("image/svg+xml")) << svg.content_type;
    EXPECT_NE(svg.body.find("<svg"), std::string::npos);

    auto label = call(lot_url("/label?lang=vi"), farmer);
    ASSERT_EQ(label.status, 200) << label.body.substr(0, 200);
    EXPECT_TRUE(label.content_type.starts_with("text/html")) << label.content_type;
    EXPECT_NE(label.body.find(kProduct), std::string::npos);
    EXPECT_NE(label.body.find(kLot), std::string::npos);
    EXPECT_NE(label.body.find("<svg"), std::string::npos) << "the QR code is on the label";
  }

  {
    SCOPED_TRACE("8. exports: the CLI's diary CSV read back by Python; the API's lots CSV");
    auto out = run_command({farmgate_binary(), "export", "diary", "--config", config_path_,
                            "--format", "csv", "--lang", "vi"},
                           {}, 30s);
    ASSERT_EQ(out.exit_code(), 0) << out.err;
    EXPECT_TRUE(out.out.starts_with("\xEF\xBB\xBF")) << "UTF-8 with a byte order mark";
    const std::string csv_file = dir_.file("diary.csv");
    write_file(csv_file, out.out);
    // The rows as Python's csv module reads them, handed back as JSON.
    auto py = run_command({find_program("python3"), "-c",
                           "import csv, json, sys\n"
                           "with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:\n"
                           "    print(json.dumps(list(csv.reader(f))))\n",
                           csv_file},
                          {}, 20s);
    ASSERT_EQ(py.exit_code(), 0) << py.err;
    boost::system::error_code ec;
    auto rows_value = json::parse(py.out, ec);
    ASSERT_FALSE(ec) << py.out;
    const auto& rows = rows_value.as_array();
    ASSERT_GE(rows.size(), 5u) << "a header and four entries: " << out.out;
    bool vietnamese_header = false;
    for (const auto& cell : rows[0].as_array()) {
      for (unsigned char c : cell.as_string()) vietnamese_header = vietnamese_header || c >= 0x80;
    }
    EXPECT_TRUE(vietnamese_header) << "--lang vi: " << json::serialize(rows[0]);
    // Each entry's row is found by its hash, which the export carries.
    const auto row_with = [&](const std::string& hash) -> std::optional<std::vector<std::string>> {
      for (const auto& r : rows) {
        std::vector<std::string> cells;
        for (const auto& c : r.as_array()) cells.emplace_back(c.as_string());
        for (const auto& c : cells) {
          if (c == hash) return cells;
        }
      }
      return std::nullopt;
    };
    const auto has = [](const std::vector<std::string>& cells, const std::string& text) {
      for (const auto& c : cells) {
        if (c == text) return true;
      }
      return false;
    };
    auto pest_row = row_with(str(pesticide, "hash"));
    ASSERT_TRUE(pest_row) << "no row for the pesticide entry: " << out.out;
    EXPECT_TRUE(has(*pest_row, kPesticideNote)) << json::serialize(json::value_from(*pest_row));
    EXPECT_TRUE(has(*pest_row, kPesticideUnit)) << json::serialize(json::value_from(*pest_row));
    EXPECT_TRUE(has(*pest_row, kPesticide));
    EXPECT_TRUE(has(*pest_row, kActive));
    auto harvest_row = row_with(str(harvest, "hash"));
    ASSERT_TRUE(harvest_row) << "no row for the harvest: " << out.out;
    EXPECT_TRUE(has(*harvest_row, str(harvest, "override_reason")))
        << "the officer's override is in the export: "
        << json::serialize(json::value_from(*harvest_row));
    auto irr_row = row_with(str(irrigation, "hash"));
    ASSERT_TRUE(irr_row) << "no row for the irrigation entry: " << out.out;
    EXPECT_TRUE(has(*irr_row, kLot));
    EXPECT_TRUE(has(*irr_row, "z1"));

    auto lots = call(url("/api/v1/export/lots?format=csv&lang=vi"), officer);
    ASSERT_EQ(lots.status, 200) << lots.body;
    EXPECT_TRUE(lots.content_type.starts_with("text/csv")) << lots.content_type;
    EXPECT_TRUE(lots.body.starts_with("\xEF\xBB\xBF"));
    EXPECT_NE(lots.body.find(kLot), std::string::npos);
    EXPECT_NE(lots.body.find(kProduct), std::string::npos);
    EXPECT_NE(lots.headers["content-disposition"].find("attachment"), std::string::npos)
        << lots.headers["content-disposition"];
    auto by_farmer = call(url("/api/v1/export/lots?format=csv"), farmer);
    EXPECT_EQ(by_farmer.status, 403) << by_farmer.body;
  }

  {
    SCOPED_TRACE("10. the harvest went upstream to InfluxDB (checked before the restart)");
    ASSERT_TRUE(wait_for([&] { return influx_->count(kDb, "harvest") > 0; }, 15s, 200ms))
        << "no harvest point in InfluxDB";
    const auto answer = influx_->query(kDb, "SELECT * FROM harvest");
    const std::string text = json::serialize(answer);
    // results[0].series[0]: {"columns": [...], "values": [[...]]}, one row per point.
    boost::system::error_code ec;
    const auto* series = answer.find_pointer("/results/0/series/0", ec);
    ASSERT_TRUE(series != nullptr && series->is_object()) << text;
    const auto columns = arr(series->as_object(), "columns");
    const auto values = arr(series->as_object(), "values");
    ASSERT_EQ(values.size(), 1u) << "one harvest, one point: " << text;
    json::object point;
    for (std::size_t i = 0; i < columns.size() && i < values[0].as_array().size(); ++i) {
      point[columns[i].as_string()] = values[0].as_array()[i];
    }
    EXPECT_EQ(str(point, "lot"), kLot) << text;
    EXPECT_EQ(str(point, "product"), kProduct) << text;
    EXPECT_EQ(str(point, "site"), kSite) << text;
    EXPECT_EQ(num(point, "quantity_kg"), kHarvestKg) << text;
    EXPECT_EQ(str(point, "hash"), str(harvest, "hash")) << "the chain's head goes upstream too";
    EXPECT_EQ(num(point, "time"), num(harvest, "recorded_at")) << text;
  }

  {
    SCOPED_TRACE("9. a diary row changed behind farmgate's back breaks the chain");
    const int status = farmgate_->stop();
    EXPECT_TRUE(exited_with(status, 0)) << describe_status(status);
    farmgate_.reset();
    const std::string seq = std::to_string(static_cast<int>(num(pesticide, "seq")));
    query_db(db(),
             std::string("UPDATE lot_entries SET amount = 6.25 WHERE lot = '") + kLot +
                 "' AND seq = " + seq,
             /*write=*/true);
    ASSERT_EQ(query_db(db(), std::string("SELECT amount FROM lot_entries WHERE lot = '") + kLot +
                                 "' AND seq = " + seq)[0][0],
              "6.25");
    ASSERT_NO_FATAL_FAILURE(start_farmgate());

    auto got = call(lot_url(), officer);
    ASSERT_EQ(got.status, 200) << got.body;
    auto chain = obj(object_of(got), "chain");
    EXPECT_EQ(flag(chain, "ok"), std::optional<bool>(false)) << got.body;
    EXPECT_EQ(num(chain, "broken_at"), num(pesticide, "seq")) << got.body;
    const std::string reason = str(chain, "reason");
    EXPECT_FALSE(reason.empty());

    auto page = call(lot_url("/record?format=html&lang=en"), officer);
    ASSERT_EQ(page.status, 200);
    EXPECT_TRUE(page_shows(page.body, reason)) << "the page names what broke: " << reason;
    auto page_vi = call(lot_url("/record?format=html&lang=vi"), officer);
    ASSERT_EQ(page_vi.status, 200);
    EXPECT_TRUE(page_shows(page_vi.body, reason)) << "the Vietnamese page too: " << reason;
    EXPECT_FALSE(page_shows(page_before, reason)) << "and it did not say so before";
  }
}

}  // namespace
}  // namespace farmgate::itest
