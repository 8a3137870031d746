#include "config/env_expand.h"

#include <gtest/gtest.h>

#include <map>

namespace farmgate::config {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string expanded(std::string_view text, const EnvLookup& env) {
  Expansion x = expand_env(text, env);
  EXPECT_TRUE(x.ok()) << (x.errors.empty() ? "" : x.errors.front());
  return x.text;
}

TEST(EnvExpandTest, LeavesTextWithoutReferencesAlone) {
  EXPECT_EQ(expanded("tcp://127.0.0.1:1883", env_of({})), "tcp://127.0.0.1:1883");
  EXPECT_EQ(expanded("", env_of({})), "");
}

TEST(EnvExpandTest, ReplacesASetVariable) {
  EXPECT_EQ(expanded("${SITE}", env_of({{"SITE", "xa-tan-lap"}})), "xa-tan-lap");
}

TEST(EnvExpandTest, SetButEmptyVariableGivesEmptyText) {
  EXPECT_EQ(expanded("a${X}b", env_of({{"X", ""}})), "ab");
}

TEST(EnvExpandTest, UsesTheDefaultWhenTheVariableIsUnsetOrEmpty) {
  EXPECT_EQ(expanded("${URL:-tcp://127.0.0.1:1883}", env_of({})), "tcp://127.0.0.1:1883");
  EXPECT_EQ(expanded("${URL:-fallback}", env_of({{"URL", ""}})), "fallback");
  EXPECT_EQ(expanded("${URL:-fallback}", env_of({{"URL", "set"}})), "set");
}

TEST(EnvExpandTest, EmptyDefaultGivesEmptyText) {
  EXPECT_EQ(expanded("${FARMGATE_INFLUX_URL:-}", env_of({})), "");
}

TEST(EnvExpandTest, ExpandsSeveralReferencesInOneScalar) {
  EXPECT_EQ(expanded("farmgate-${FARMGATE_SITE:-demo-farm}", env_of({})), "farmgate-demo-farm");
  EXPECT_EQ(expanded("${A}/${B:-b}/${A}", env_of({{"A", "x"}})), "x/b/x");
}

TEST(EnvExpandTest, DoubleDollarBraceIsALiteralDollarBrace) {
  EXPECT_EQ(expanded("p$${NOT_A_VAR}", env_of({})), "p${NOT_A_VAR}");
  EXPECT_EQ(expanded("$${A}${A}", env_of({{"A", "1"}})), "${A}1");
}

TEST(EnvExpandTest, OtherDollarsAreKept) {
  EXPECT_EQ(expanded("$HOME a$$b $ ${A}$", env_of({{"A", "1"}})), "$HOME a$$b $ 1$");
}

TEST(EnvExpandTest, ValuesAreNotExpandedAgain) {
  EXPECT_EQ(expanded("${A}", env_of({{"A", "${B}"}})), "${B}");
}

TEST(EnvExpandTest, UnsetVariableWithoutDefaultIsAnError) {
  Expansion x = expand_env("${FARMGATE_DATA_DIR}/db", env_of({}));
  ASSERT_EQ(x.errors.size(), 1u);
  EXPECT_EQ(x.errors[0], "environment variable FARMGATE_DATA_DIR is not set");
}

TEST(EnvExpandTest, ReportsEveryUnsetVariable) {
  Expansion x = expand_env("${A}:${B}:${C:-c}", env_of({}));
  ASSERT_EQ(x.errors.size(), 2u);
  EXPECT_EQ(x.errors[0], "environment variable A is not set");
  EXPECT_EQ(x.errors[1], "environment variable B is not set");
}

TEST(EnvExpandTest, UnterminatedReferenceIsAnError) {
  for (const char* bad : {"${", "${A", "x${A:-b", "${A:-${B}"}) {
    Expansion x = expand_env(bad, env_of({{"A", "1"}, {"B", "2"}}));
    ASSERT_EQ(x.errors.size(), 1u) << bad;
    EXPECT_EQ(x.errors[0], "unterminated '${' (missing '}')") << bad;
  }
}

TEST(EnvExpandTest, MalformedReferencesAreErrors) {
  for (const char* bad : {"${}", "${1A}", "${A.B}", "${A:b}", "${A-b}", "${ A}", "${A }"}) {
    Expansion x = expand_env(bad, env_of({{"A", "1"}}));
    ASSERT_EQ(x.errors.size(), 1u) << bad;
    EXPECT_NE(x.errors[0].find("expected ${NAME} or ${NAME:-default}"), std::string::npos)
        << bad << ": " << x.errors[0];
  }
}

TEST(EnvExpandTest, SyntaxErrorReplacesEarlierUnsetErrors) {
  Expansion x = expand_env("${A} ${B", env_of({}));
  ASSERT_EQ(x.errors.size(), 1u);
  EXPECT_EQ(x.errors[0], "unterminated '${' (missing '}')");
}

TEST(EnvExpandTest, DefaultMayHoldReferences) {
  EXPECT_EQ(expanded("${A:-${B:-b}}", env_of({})), "b");
  EXPECT_EQ(expanded("${A:-${B:-b}}", env_of({{"B", "B"}})), "B");
  EXPECT_EQ(expanded("${A:-x-${B}-y}", env_of({{"B", "B"}})), "x-B-y");
}

TEST(EnvExpandTest, UnusedDefaultDoesNotNeedItsVariables) {
  EXPECT_EQ(expanded("${A:-${B}}", env_of({{"A", "a"}})), "a");
  Expansion x = expand_env("${A:-${B}}", env_of({}));
  ASSERT_EQ(x.errors.size(), 1u);
  EXPECT_EQ(x.errors[0], "environment variable B is not set");
}

TEST(EnvExpandTest, MissingLookupMeansEveryVariableIsUnset) {
  EXPECT_EQ(expanded("${A:-d}", EnvLookup{}), "d");
  EXPECT_FALSE(expand_env("${A}", EnvLookup{}).ok());
}

}  // namespace
}  // namespace farmgate::config
