// Fuzz-style tests of ChirpstackDecoder: random and mutated events never crash it, and every
// failure says where the problem is. Seeded, so a failure can be reproduced; the seed and input
// are printed with it.
#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <set>

#include "sensors/lorawan/chirpstack_decoder.h"
#include "sensors/lorawan/test_lora_farm.h"

namespace farmgate::sensors {
namespace {

using namespace farmgate::sensors::testing;
namespace json = boost::json;

const Timestamp kReceived = from_epoch_ms(1'767'225'600'000);

const std::set<std::string> kErrorCodes{"too_large",   "unknown_topic",   "invalid_json",
                                        "not_object",  "missing_field",   "wrong_type",
                                        "bad_dev_eui", "dev_eui_mismatch"};
const std::set<std::string> kRefusalCodes{"wrong_type", "out_of_range"};

// "topic: ...", "payload: ...", "payload at byte 17: ...", or a JSON path: "rxInfo[1].rssi: ...".
const std::regex kLocated(
    R"(^(topic|payload( at byte [0-9]+)?|[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\])?(\.[^.: ]+(\[[0-9]+\])?)*): \S.*)");

class Fuzzer {
 public:
  explicit Fuzzer(std::uint32_t seed) : rng_(seed) {}

  std::size_t below(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  json::value random_value(int depth = 0) {
    switch (below(depth > 2 ? 7 : 9)) {
      case 0:
        return nullptr;
      case 1:
        return below(2) == 0;
      case 2:
        return static_cast<std::int64_t>(rng_()) - (1LL << 31);
      case 3:
        return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
      case 4:
        return 18446744073709551615ULL;
      case 5:
        return json::string(random_text(below(20)));
      case 6:
        return "31.5";
      case 7: {
        json::array a;
        for (std::size_t i = below(4); i > 0; --i) a.push_back(random_value(depth + 1));
        return a;
      }
      default: {
        json::object o;
        for (std::size_t i = below(4); i > 0; --i)
          o[random_text(1 + below(6))] = random_value(depth + 1);
        return o;
      }
    }
  }

  std::string random_text(std::size_t n) {
    static const std::string chars = "abcdef0123456789.-+eE\"\\{}[]:, \x01\xc3\xa9\xff";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += chars[below(chars.size())];
    return s;
  }

  // Replaces one value somewhere in the event with a random one, or removes it.
  void mutate(json::value& v) {
    if (v.is_object() && !v.get_object().empty() && below(4) != 0) {
      auto& o = v.get_object();
      auto it = o.begin() + static_cast<std::ptrdiff_t>(below(o.size()));
      if (below(5) == 0) {
        o.erase(it);
      } else if (below(2) == 0) {
        mutate(it->value());
      } else {
        it->value() = random_value();
      }
      return;
    }
    if (v.is_array() && !v.get_array().empty() && below(4) != 0) {
      auto& a = v.get_array();
      mutate(a[below(a.size())]);
      return;
    }
    v = random_value();
  }

  // Flips, drops or inserts bytes of the text.
  std::string garble(std::string s) {
    for (std::size_t i = 1 + below(4); i > 0 && !s.empty(); --i) {
      const std::size_t at = below(s.size());
      switch (below(4)) {
        case 0:
          s[at] = static_cast<char>(rng_());
          break;
        case 1:
          s.erase(at, 1 + below(8));
          break;
        case 2:
          s.insert(at, random_text(1 + below(4)));
          break;
        default:
          s.resize(at);
          break;
      }
    }
    return s;
  }

 private:
  std::mt19937 rng_;
};

class ChirpstackFuzzTest : public ::testing::Test {
 protected:
  // Decodes and checks the contract; returns whether readings came out.
  bool check(const std::string& t, const std::string& payload) {
    auto r = decoder_.decode(t, payload, kReceived, true);
    if (!r.ok()) {
      EXPECT_TRUE(kErrorCodes.count(r.error().code)) << r.error().code << " for " << payload;
      EXPECT_TRUE(std::regex_match(r.error().message, kLocated))
          << "not located: '" << r.error().message << "' for " << payload;
      return false;
    }
    if (r->refused) {
      EXPECT_TRUE(kRefusalCodes.count(r->refused->code)) << r->refused->code;
      EXPECT_TRUE(std::regex_match(r->refused->message, kLocated))
          << "not located: '" << r->refused->message << "' for " << payload;
      EXPECT_TRUE(r->readings.empty());
    }
    for (const Reading& reading : r->readings) {
      // Whatever came in, what goes out is in range.
      const auto* kind = farm_.find_kind(reading.kind);
      EXPECT_NE(kind, nullptr);
      if (kind == nullptr) continue;
      const auto* spec = kind->find_metric(reading.metric);
      EXPECT_NE(spec, nullptr);
      if (spec == nullptr) continue;
      EXPECT_GE(reading.value, spec->min) << payload;
      EXPECT_LE(reading.value, spec->max) << payload;
    }
    return !r->readings.empty();
  }

  config::Config farm_ = lora_farm();
  ChirpstackDecoder decoder_{farm_.chirpstack_sources[0], farm_};
};

TEST_F(ChirpstackFuzzTest, MutatedEventsNeverCrashAndFailuresAreLocated) {
  const std::uint32_t seed = 20260101;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Fuzzer fuzz(seed);
  const std::vector<std::pair<std::string, json::object>> events{
      {topic(kSoilEui, "up"), soil_uplink()},
      {topic(kSoilEui, "status"), status_event(kSoilEui, 55)},
      {topic(kSoilEui, "join"), join_event(kSoilEui)}};
  std::size_t with_readings = 0;
  for (int i = 0; i < 4000; ++i) {
    const auto& [t, base] = events[fuzz.below(events.size())];
    json::value v = base;
    for (std::size_t m = 1 + fuzz.below(3); m > 0; --m) fuzz.mutate(v);
    if (check(t, json::serialize(v))) ++with_readings;
    if (HasFailure()) return;
  }
  // The mutations must leave some events whole, or the test only exercises the refusals.
  EXPECT_GT(with_readings, 100u);
}

TEST_F(ChirpstackFuzzTest, GarbledBytesNeverCrashAndFailuresAreLocated) {
  const std::uint32_t seed = 7;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Fuzzer fuzz(seed);
  const std::string base = text(soil_uplink());
  for (int i = 0; i < 4000; ++i) {
    check(topic(kSoilEui, "up"), fuzz.garble(base));
    if (HasFailure()) return;
  }
}

TEST_F(ChirpstackFuzzTest, RandomTopicsAndValuesNeverCrash) {
  const std::uint32_t seed = 99;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Fuzzer fuzz(seed);
  for (int i = 0; i < 2000; ++i) {
    std::string t = topic(kSoilEui, "up");
    if (fuzz.below(2) == 0) t = fuzz.garble(t);
    check(t, json::serialize(fuzz.random_value()));
    if (HasFailure()) return;
  }
  // Nesting past what the parser allows is refused, not recursed into.
  check(topic(kSoilEui, "up"), std::string(60000, '['));
  check(topic(kSoilEui, "up"), "{\"object\":" + std::string(5000, '{'));
}

}  // namespace
}  // namespace farmgate::sensors
