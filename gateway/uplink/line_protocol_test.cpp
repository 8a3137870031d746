#include "gateway/uplink/line_protocol.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "gateway/uplink/line_protocol_test_parser.h"

namespace farmgate::lineproto {
namespace {

constexpr std::int64_t kT = 1'767'225'600'123;  // 2026-01-01T00:00:00.123Z

Point point(std::string measurement, std::vector<std::pair<std::string, std::string>> tags,
            std::vector<std::pair<std::string, FieldValue>> fields, std::int64_t ms = kT) {
  return Point{std::move(measurement), std::move(tags), std::move(fields), from_epoch_ms(ms)};
}

std::string encoded(const Point& p) {
  std::string out;
  auto r = encode(p, out);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return out;
}

Error refused(const Point& p) {
  std::string out = "kept\n";
  auto r = encode(p, out);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(out, "kept\n");  // nothing half-written
  return r.ok() ? Error{} : r.error();
}

TEST(LineProtocolTest, EncodesTheReferenceReading) {
  EXPECT_EQ(encoded(point("soil", {{"site", "demo-farm"}, {"zone", "z1"}, {"device", "soil-z1"}},
                          {{"moisture", 31.5}, {"temp_c", 27.1}})),
            "soil,device=soil-z1,site=demo-farm,zone=z1 moisture=31.5,temp_c=27.1 "
            "1767225600123\n");
}

TEST(LineProtocolTest, AppendsToWhatIsAlreadyThere) {
  std::string out = "a v=1 1\n";
  ASSERT_TRUE(encode(point("b", {}, {{"v", 2.0}}, 2), out).ok());
  EXPECT_EQ(out, "a v=1 1\nb v=2 2\n");
}

TEST(LineProtocolTest, MeasurementEscapesCommaAndSpaceOnly) {
  EXPECT_EQ(encoded(point("a,b c=d", {}, {{"v", 1.0}})), "a\\,b\\ c=d v=1 1767225600123\n");
}

TEST(LineProtocolTest, TagKeysAndValuesEscapeCommaEqualsAndSpace) {
  EXPECT_EQ(encoded(point("m", {{"k,e=y z", "v,a=l u"}}, {{"f", 1.0}})),
            "m,k\\,e\\=y\\ z=v\\,a\\=l\\ u f=1 1767225600123\n");
}

TEST(LineProtocolTest, FieldKeysEscapeCommaEqualsAndSpace) {
  EXPECT_EQ(encoded(point("m", {}, {{"f,i=e ld", 1.0}})), "m f\\,i\\=e\\ ld=1 1767225600123\n");
}

TEST(LineProtocolTest, QuotesAndBackslashesInNamesNeedNoEscape) {
  EXPECT_EQ(encoded(point("m\"x", {{"t\"", "a\\b\"c"}}, {{"\"q\"", 1.0}})),
            "m\"x,t\"=a\\b\"c \"q\"=1 1767225600123\n");
}

TEST(LineProtocolTest, StringFieldsAreQuotedWithQuoteAndBackslashEscaped) {
  EXPECT_EQ(encoded(point("m", {}, {{"s", std::string("say \"hi\" \\ ,= ok")}})),
            "m s=\"say \\\"hi\\\" \\\\ ,= ok\" 1767225600123\n");
  EXPECT_EQ(encoded(point("m", {}, {{"s", std::string("ends\\")}})),
            "m s=\"ends\\\\\" 1767225600123\n");
  EXPECT_EQ(encoded(point("m", {}, {{"s", std::string()}})), "m s=\"\" 1767225600123\n");
}

TEST(LineProtocolTest, IntegersHaveTheISuffix) {
  EXPECT_EQ(encoded(point("m", {},
                          {{"a", std::int64_t{42}},
                           {"b", std::int64_t{-7}},
                           {"c", std::numeric_limits<std::int64_t>::min()},
                           {"d", std::numeric_limits<std::int64_t>::max()}})),
            "m a=42i,b=-7i,c=-9223372036854775808i,d=9223372036854775807i 1767225600123\n");
}

TEST(LineProtocolTest, FloatsUseTheShortestFormThatReadsBack) {
  EXPECT_EQ(encoded(point("m", {}, {{"a", 1.0}, {"b", 0.1}, {"c", -2.5}, {"d", 0.0}})),
            "m a=1,b=0.1,c=-2.5,d=0 1767225600123\n");
  // Exponents as InfluxDB reads them (checked against influxd 1.6 and VictoriaMetrics).
  EXPECT_EQ(encoded(point("m", {},
                          {{"a", 1e20}, {"b", 1e-7}, {"c", -0.0}, {"d", 1.7976931348623157e308}})),
            "m a=1e+20,b=1e-07,c=-0,d=1.7976931348623157e+308 1767225600123\n");
}

TEST(LineProtocolTest, BooleansAreWords) {
  EXPECT_EQ(encoded(point("m", {}, {{"on", true}, {"off", false}})),
            "m on=true,off=false 1767225600123\n");
}

TEST(LineProtocolTest, TagsAreSortedByKeyBytewise) {
  EXPECT_EQ(encoded(point("m", {{"zone", "z1"}, {"Zeta", "1"}, {"a", "2"}, {"é", "3"}, {"b", "4"}},
                          {{"v", 1.0}})),
            "m,Zeta=1,a=2,b=4,zone=z1,é=3 v=1 1767225600123\n");
}

TEST(LineProtocolTest, FieldsKeepTheirOrder) {
  EXPECT_EQ(encoded(point("m", {}, {{"z", 1.0}, {"a", 2.0}})), "m z=1,a=2 1767225600123\n");
}

TEST(LineProtocolTest, EmptyTagValuesAreDropped) {
  EXPECT_EQ(encoded(point("m", {{"zone", ""}, {"site", "s"}}, {{"v", 1.0}})),
            "m,site=s v=1 1767225600123\n");
}

TEST(LineProtocolTest, UnicodePassesThrough) {
  EXPECT_EQ(encoded(point("vườn", {{"khu", "Vườn bưởi"}}, {{"ghi_chú", std::string("tưới 5′")}})),
            "vườn,khu=Vườn\\ bưởi ghi_chú=\"tưới 5′\" 1767225600123\n");
}

TEST(LineProtocolTest, TimestampsAreMillisecondsIncludingBeforeTheEpoch) {
  EXPECT_EQ(encoded(point("m", {}, {{"v", 1.0}}, 0)), "m v=1 0\n");
  EXPECT_EQ(encoded(point("m", {}, {{"v", 1.0}}, -5)), "m v=1 -5\n");
  EXPECT_EQ(encoded(point("m", {}, {{"v", 1.0}}, 9'223'372'036'854)), "m v=1 9223372036854\n");
}

TEST(LineProtocolTest, RefusesWhatTheProtocolCannotCarry) {
  EXPECT_EQ(refused(point("", {}, {{"v", 1.0}})).code, "line_protocol");
  refused(point("m", {}, {}));
  refused(point("m", {{"", "v"}}, {{"v", 1.0}}));
  refused(point("m", {}, {{"", 1.0}}));
  refused(point("m", {}, {{"v", std::nan("")}}));
  refused(point("m", {}, {{"v", std::numeric_limits<double>::infinity()}}));
  refused(point("m", {}, {{"v", -std::numeric_limits<double>::infinity()}}));
}

TEST(LineProtocolTest, RefusesLineBreaksAnywhere) {
  refused(point("a\nb", {}, {{"v", 1.0}}));
  refused(point("m", {{"t", "a\rb"}}, {{"v", 1.0}}));
  refused(point("m", {{"t\n", "x"}}, {{"v", 1.0}}));
  refused(point("m", {}, {{"f\n", 1.0}}));
  refused(point("m", {}, {{"s", std::string("two\nlines")}}));
}

TEST(LineProtocolTest, RefusesBackslashesNoEscapeCanCarry) {
  refused(point("m\\", {}, {{"v", 1.0}}));
  refused(point("m", {{"t", "tail\\"}}, {{"v", 1.0}}));
  refused(point("m", {{"t", "a\\ b"}}, {{"v", 1.0}}));
  refused(point("m", {{"t", "a\\,b"}}, {{"v", 1.0}}));
  refused(point("m", {{"t\\=", "x"}}, {{"v", 1.0}}));
  refused(point("m", {}, {{"a\\\\b", 1.0}}));
  // Followed by an ordinary character it is just a backslash.
  EXPECT_EQ(encoded(point("m\\x", {{"t", "C:\\data"}}, {{"f\\g", 1.0}})),
            "m\\x,t=C:\\data f\\g=1 1767225600123\n");
}

TEST(LineProtocolTest, RefusesMeasurementsThatWouldBeCommentsOrTrimmed) {
  refused(point("#m", {}, {{"v", 1.0}}));
  refused(point("\tm", {}, {{"v", 1.0}}));
  EXPECT_EQ(encoded(point(" m#", {}, {{"v", 1.0}})), "\\ m# v=1 1767225600123\n");
}

TEST(LineProtocolTest, RefusesReservedAndDuplicateKeys) {
  refused(point("m", {{"time", "x"}}, {{"v", 1.0}}));
  refused(point("m", {{"_field", "x"}}, {{"v", 1.0}}));
  refused(point("m", {{"_measurement", "x"}}, {{"v", 1.0}}));
  refused(point("m", {}, {{"time", 1.0}}));
  refused(point("m", {{"a", "1"}, {"a", "2"}}, {{"v", 1.0}}));
  refused(point("m", {}, {{"v", 1.0}, {"v", 2.0}}));
  // A duplicate whose value is empty was dropped, so it is no duplicate.
  EXPECT_EQ(encoded(point("m", {{"a", ""}, {"a", "2"}}, {{"v", 1.0}})),
            "m,a=2 v=1 1767225600123\n");
}

TEST(LineProtocolTest, RefusesTimesOutsideInfluxRange) {
  refused(point("m", {}, {{"v", 1.0}}, 9'223'372'036'855));
  refused(point("m", {}, {{"v", 1.0}}, -9'223'372'036'855));
}

TEST(LineProtocolTest, ReferenceParserReadsWhatInfluxWrites) {
  // The parser used by the property test, checked on hand-written lines first.
  auto p = testing::parse_line(
      "m\\ x,t=a\\,b\\=c\\ d,u=C:\\x f\\ 1=\"q\\\"\\\\\",g=2i,h=t,k=1e+20 -3\n");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->measurement, "m x");
  ASSERT_EQ(p->tags.size(), 2u);
  EXPECT_EQ(p->tags[0], (std::pair<std::string, std::string>{"t", "a,b=c d"}));
  EXPECT_EQ(p->tags[1], (std::pair<std::string, std::string>{"u", "C:\\x"}));
  ASSERT_EQ(p->fields.size(), 4u);
  EXPECT_EQ(p->fields[0].first, "f 1");
  EXPECT_EQ(std::get<std::string>(p->fields[0].second), "q\"\\");
  EXPECT_EQ(std::get<std::int64_t>(p->fields[1].second), 2);
  EXPECT_EQ(std::get<bool>(p->fields[2].second), true);
  EXPECT_EQ(std::get<double>(p->fields[3].second), 1e20);
  EXPECT_EQ(to_epoch_ms(p->time), -3);
  EXPECT_FALSE(testing::parse_line("m v=1 1").ok());
  EXPECT_FALSE(testing::parse_line("m,t=a\\ v=1 1\n").ok());
}

// ---- Property: random nasty points encode and parse back exactly ----

// What the encoder promises to refuse, written independently of it.
bool name_ok(const std::string& s) {
  if (s.empty() || s.find_first_of("\r\n") != std::string::npos) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') continue;
    if (i + 1 == s.size()) return false;
    if (std::string_view("\\,= ").find(s[i + 1]) != std::string_view::npos) return false;
  }
  return true;
}

bool encodable(const Point& p) {
  if (!name_ok(p.measurement) || p.measurement[0] == '#' || p.measurement[0] == '\t') {
    return false;
  }
  std::set<std::string> tag_keys;
  for (const auto& [k, v] : p.tags) {
    if (!name_ok(k) || k == "time" || k == "_field" || k == "_measurement") return false;
    if (v.empty()) continue;
    if (!name_ok(v) || !tag_keys.insert(k).second) return false;
  }
  if (p.fields.empty()) return false;
  std::set<std::string> field_keys;
  for (const auto& [k, v] : p.fields) {
    if (!name_ok(k) || k == "time" || !field_keys.insert(k).second) return false;
    if (const auto* s = std::get_if<std::string>(&v);
        s && s->find_first_of("\r\n") != std::string::npos) {
      return false;
    }
    if (const auto* d = std::get_if<double>(&v); d && !std::isfinite(*d)) return false;
  }
  return true;
}

bool same_value(const FieldValue& a, const FieldValue& b) {
  if (a.index() != b.index()) return false;
  if (const auto* d = std::get_if<double>(&a)) {
    return std::bit_cast<std::uint64_t>(*d) == std::bit_cast<std::uint64_t>(std::get<double>(b));
  }
  return a == b;
}

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  std::string text(int min_pieces, int max_pieces) {
    // Mostly characters that need escaping or are just unusual; now and then one that makes the
    // point unencodable (a backslash that no escape can carry, a line break, a reserved key).
    static const char* const kPieces[] = {",",  " ", "\"", "=",   "Vườn bưởi", "a",    "Z",
                                          "\t", "#", "é",  "日",  "x",         "1",    "-",
                                          "_",  "💧", "'",  "\\x", "{",         "\\\"", "\\é"};
    static const char* const kRisky[] = {"\\", "\n", "\r", "time", "\\\\", "\\,", "\\ "};
    std::string s;
    // Now and then empty, whatever the minimum: empty names must be refused.
    const int n = pick(0, 50) == 0 ? 0 : pick(min_pieces, max_pieces);
    for (int i = 0; i < n; ++i) {
      s += pick(0, 30) == 0 ? kRisky[pick(0, std::size(kRisky) - 1)]
                            : kPieces[pick(0, std::size(kPieces) - 1)];
    }
    return s;
  }

  FieldValue value() {
    switch (pick(0, 3)) {
      case 0: {
        switch (pick(0, 4)) {
          case 0:
            return std::bit_cast<double>(rng_());  // any bit pattern, NaNs included
          case 1:
            return static_cast<double>(pick(-1000, 1000));
          case 2:
            return std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng_),
                              pick(-1074, 1023));
          case 3:
            return -0.0;
          default:
            return std::uniform_real_distribution<double>(-100, 100)(rng_);
        }
      }
      case 1:
        return static_cast<std::int64_t>(rng_());
      case 2:
        return text(0, 8);
      default:
        return pick(0, 1) == 1;
    }
  }

  Point point() {
    Point p;
    p.measurement = text(1, 5);
    for (int i = pick(0, 4); i > 0; --i) p.tags.emplace_back(text(1, 4), text(0, 6));
    for (int i = pick(0, 50) == 0 ? 0 : pick(1, 4); i > 0; --i) {
      p.fields.emplace_back(text(1, 4), value());
    }
    p.time = from_epoch_ms(static_cast<std::int64_t>(rng_() % 9'223'372'036'854ULL) *
                           (pick(0, 9) == 0 ? -1 : 1));
    return p;
  }

 private:
  int pick(long lo, long hi) {
    return static_cast<int>(std::uniform_int_distribution<long>(lo, hi)(rng_));
  }
  std::mt19937_64 rng_;
};

TEST(LineProtocolTest, RandomNastyPointsRoundTripExactly) {
  Generator gen(20260101);
  int round_tripped = 0;
  for (int i = 0; i < 20000; ++i) {
    const Point p = gen.point();
    std::string line;
    const auto r = encode(p, line);
    ASSERT_EQ(r.ok(), encodable(p)) << "point " << i << " measurement \"" << p.measurement
                                    << "\": " << (r.ok() ? "encoded" : r.error().message);
    if (!r.ok()) continue;
    ASSERT_EQ(line.find('\n'), line.size() - 1) << line;
    auto back = testing::parse_line(line);
    ASSERT_TRUE(back.ok()) << back.error().message << " in: " << line;
    EXPECT_EQ(back->measurement, p.measurement) << line;
    std::vector<std::pair<std::string, std::string>> tags;
    for (const auto& t : p.tags) {
      if (!t.second.empty()) tags.push_back(t);
    }
    std::stable_sort(tags.begin(), tags.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    EXPECT_EQ(back->tags, tags) << line;
    ASSERT_EQ(back->fields.size(), p.fields.size()) << line;
    for (std::size_t f = 0; f < p.fields.size(); ++f) {
      EXPECT_EQ(back->fields[f].first, p.fields[f].first) << line;
      EXPECT_TRUE(same_value(back->fields[f].second, p.fields[f].second)) << line;
    }
    EXPECT_EQ(back->time, p.time) << line;
    if (::testing::Test::HasFailure()) break;
    ++round_tripped;
  }
  // The generator must exercise the encoder, not only its refusals.
  EXPECT_GT(round_tripped, 8000);
}

}  // namespace
}  // namespace farmgate::lineproto
