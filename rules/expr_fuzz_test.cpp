// Robustness: random bytes and random token soup never crash compile() or evaluate(); each
// input either compiles and evaluates, or yields errors with columns inside the text.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "rules/expr.h"
#include "rules/expr_fakes.h"
#include "rules/expr_test_util.h"

namespace farmgate::rules {
namespace {

using namespace std::chrono_literals;

void check_one(const std::string& text, const Catalogue& c, testing::FakeDataView& data,
               testing::FakeTimeView& time, int& compiled) {
  auto r = compile(text, c);
  if (r.ok()) {
    ++compiled;
    const auto e = r->evaluate(data, time, from_epoch_ms(1'767'225'600'000));
    if (e.is_unknown()) {
      EXPECT_FALSE(e.reason.empty()) << text;
    } else {
      EXPECT_TRUE(e.reason.empty()) << text;
    }
    return;
  }
  ASSERT_FALSE(r.errors().empty()) << text;
  for (const auto& d : r.errors()) {
    EXPECT_GE(d.column, 1) << text;
    EXPECT_LE(d.column, static_cast<int>(text.size()) + 1) << text;
    EXPECT_GE(d.length, 1) << text;
    EXPECT_FALSE(d.message.empty()) << text;
  }
}

TEST(ExprFuzzTest, RandomBytesNeverCrash) {
  std::mt19937 rng(12345);
  const auto c = testing::test_catalogue();
  testing::FakeDataView data;
  testing::FakeTimeView time;
  int compiled = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string text(rng() % 40, '\0');
    for (auto& ch : text) ch = static_cast<char>(rng() % 256);
    check_one(text, c, data, time, compiled);
  }
}

TEST(ExprFuzzTest, RandomTokenSoupNeverCrashes) {
  static const char* kTokens[] = {"z1.soil.moisture",
                                  "soil-z1.moisture",
                                  "site.tank.level",
                                  "z3.soil.moisture",
                                  "avg",
                                  "min",
                                  "max",
                                  "delta",
                                  "age",
                                  "time",
                                  "weekday",
                                  "sunrise",
                                  "sunset",
                                  "between",
                                  "(",
                                  ")",
                                  "[",
                                  "]",
                                  ",",
                                  "+",
                                  "-",
                                  "*",
                                  "/",
                                  "<",
                                  "<=",
                                  ">",
                                  ">=",
                                  "==",
                                  "!=",
                                  "and",
                                  "or",
                                  "not",
                                  "in",
                                  "mon",
                                  "fri",
                                  "true",
                                  "false",
                                  "30",
                                  "0",
                                  "0.5",
                                  "30m",
                                  "1h30m",
                                  "05:00",
                                  "23:59",
                                  "=",
                                  "x",
                                  "foo(",
                                  "1e5",
                                  "-5"};
  std::mt19937 rng(777);
  const auto c = testing::test_catalogue();
  testing::FakeDataView data;
  data.add({"soil-z1", "moisture"}, from_epoch_ms(1'767'225'600'000) - 5min, 0);
  data.add({"soil-z1", "moisture"}, from_epoch_ms(1'767'225'600'000) - 1min, 3);
  testing::FakeTimeView time;
  int compiled = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string text;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      text += kTokens[rng() % std::size(kTokens)];
      if (rng() % 3) text += ' ';
    }
    check_one(text, c, data, time, compiled);
  }
  EXPECT_GT(compiled, 0);  // the soup sometimes makes sense, so evaluation is exercised too
}

}  // namespace
}  // namespace farmgate::rules
