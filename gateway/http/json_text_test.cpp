#include "gateway/http/json_text.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <limits>

namespace farmgate::http {
namespace {

namespace json = boost::json;

TEST(JsonText, DoublesReadLikeNumbersPeopleWrite) {
  EXPECT_EQ(to_json_text(json::value(38.7)), "38.7");
  EXPECT_EQ(to_json_text(json::value(0.001)), "0.001");
  EXPECT_EQ(to_json_text(json::value(45.0)), "45.0");
  EXPECT_EQ(to_json_text(json::value(-2.5)), "-2.5");
  EXPECT_EQ(to_json_text(json::value(std::numeric_limits<double>::quiet_NaN())), "null");
}

TEST(JsonText, NestingIntegersStringsAndRoundTrip) {
  const json::value v = json::object{{"zone", "Khu vườn \"A\""},
                                     {"values", json::array{1, 2.25, nullptr, true}},
                                     {"n", std::int64_t{1767225600000}}};
  const std::string text = to_json_text(v);
  EXPECT_EQ(text, R"({"zone":"Khu vườn \"A\"","values":[1,2.25,null,true],"n":1767225600000})");
  EXPECT_EQ(json::parse(text), v);
}

TEST(JsonText, EveryDoubleReadsBackExactly) {
  for (double d : {1e21, 1e-7, 123456.789, 0.1 + 0.2, 3.87e1, -0.0}) {
    const auto back = json::parse(to_json_text(json::value(d)));
    ASSERT_TRUE(back.is_double()) << d;
    EXPECT_EQ(back.get_double(), d);
  }
}

}  // namespace
}  // namespace farmgate::http
