#include "rules/expr_lexer.h"

#include <gtest/gtest.h>

namespace farmgate::rules::expr_detail {
namespace {

std::vector<Tok> kinds(std::string_view text) {
  std::vector<Tok> out;
  for (const auto& t : lex(text)) out.push_back(t.kind);
  return out;
}

TEST(ExprLexerTest, NamesKeepDotsAndHyphens) {
  const auto t = lex("soil-z1.moisture >= 45");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].kind, Tok::name);
  EXPECT_EQ(t[0].length, 16u);
  EXPECT_EQ(t[1].kind, Tok::ge);
  EXPECT_EQ(t[1].offset, 17u);
  EXPECT_EQ(t[2].kind, Tok::number);
  EXPECT_EQ(t[2].value, 45);
  EXPECT_EQ(t[3].kind, Tok::end);
}

TEST(ExprLexerTest, MinusBetweenSpacesIsAnOperator) {
  EXPECT_EQ(kinds("a - b"), (std::vector<Tok>{Tok::name, Tok::minus, Tok::name, Tok::end}));
  EXPECT_EQ(kinds("a-b"), (std::vector<Tok>{Tok::name, Tok::end}));
  EXPECT_EQ(kinds("x < -5"),
            (std::vector<Tok>{Tok::name, Tok::lt, Tok::minus, Tok::number, Tok::end}));
  EXPECT_EQ(kinds("30m-5m"),
            (std::vector<Tok>{Tok::duration, Tok::minus, Tok::duration, Tok::end}));
}

TEST(ExprLexerTest, DurationsInMilliseconds) {
  EXPECT_EQ(lex("30s")[0].value, 30'000);
  EXPECT_EQ(lex("15m")[0].value, 900'000);
  EXPECT_EQ(lex("2h")[0].value, 7'200'000);
  EXPECT_EQ(lex("1d")[0].value, 86'400'000);
  EXPECT_EQ(lex("1h30m")[0].value, 5'400'000);
  EXPECT_EQ(lex("1.5h")[0].value, 5'400'000);
}

TEST(ExprLexerTest, NumbersAndTimes) {
  EXPECT_EQ(lex("0.5")[0].value, 0.5);
  EXPECT_EQ(lex("05:00")[0].kind, Tok::time);
  EXPECT_EQ(lex("05:00")[0].value, 5 * 3'600'000);
  EXPECT_EQ(lex("17:45")[0].value, (17 * 60 + 45) * 60'000);
  EXPECT_EQ(lex("5:07:30")[0].value, ((5 * 60 + 7) * 60 + 30) * 1000);
}

TEST(ExprLexerTest, BadLiteralsAreErrorTokensWithReasons) {
  EXPECT_EQ(lex("5x")[0].kind, Tok::error);
  EXPECT_NE(lex("5x")[0].message.find("not a duration"), std::string::npos);
  EXPECT_EQ(lex("1h30")[0].kind, Tok::error);
  EXPECT_EQ(lex("25:00")[0].kind, Tok::error);
  EXPECT_NE(lex("25:00")[0].message.find("not a time of day"), std::string::npos);
  EXPECT_EQ(lex("05:7")[0].kind, Tok::error);
  EXPECT_EQ(lex("1.2.3")[0].kind, Tok::error);
}

TEST(ExprLexerTest, OperatorsFromOtherLanguagesGetAHint) {
  EXPECT_EQ(lex("=")[0].message, "use '==' to test equality");
  EXPECT_EQ(lex("&&")[0].message, "use 'and' to combine conditions");
  EXPECT_EQ(lex("||")[0].message, "use 'or' to combine conditions");
  EXPECT_EQ(lex("!x")[0].message, "use 'not' to negate a condition");
  EXPECT_EQ(kinds("<= >= == != < >"),
            (std::vector<Tok>{Tok::le, Tok::ge, Tok::eq, Tok::ne, Tok::lt, Tok::gt, Tok::end}));
}

TEST(ExprLexerTest, MultiByteCharacterIsOneErrorToken) {
  const auto t = lex("x é");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[1].kind, Tok::error);
  EXPECT_EQ(t[1].length, 2u);
  EXPECT_EQ(t[1].message, "unexpected character 'é'");
}

}  // namespace
}  // namespace farmgate::rules::expr_detail
