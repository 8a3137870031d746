#include "gateway/http/auth/crypto.h"

#include <gtest/gtest.h>

namespace farmgate::http::auth {
namespace {

TEST(CryptoTest, PasswordHashRoundTrips) {
  auto h = hash_password("đồng lúa 2026", PasswordParams::minimal());
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->starts_with("$argon2id$")) << *h;
  EXPECT_TRUE(verify_password(*h, "đồng lúa 2026"));
}

TEST(CryptoTest, WrongPasswordOrMalformedHashIsRefused) {
  auto h = hash_password("correct horse", PasswordParams::minimal());
  ASSERT_TRUE(h.ok());
  EXPECT_FALSE(verify_password(*h, "correct hors"));
  EXPECT_FALSE(verify_password(*h, ""));
  EXPECT_FALSE(verify_password("$argon2id$nonsense", "correct horse"));
  EXPECT_FALSE(verify_password("", ""));
}

TEST(CryptoTest, SamePasswordHashesDifferentlyEachTime) {
  auto a = hash_password("pw-12345", PasswordParams::minimal());
  auto b = hash_password("pw-12345", PasswordParams::minimal());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b) << "salted";
}

TEST(CryptoTest, StandardParamsAreArgon2idWith19MiB) {
  auto h = hash_password("pw-12345", PasswordParams::standard());
  ASSERT_TRUE(h.ok());
  EXPECT_NE(h->find("m=19456,t=2,p=1"), std::string::npos) << *h;
}

TEST(CryptoTest, Sha256MatchesTheKnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, RandomHexHasTheLengthAndDiffers) {
  const auto a = random_hex(32), b = random_hex(32);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

TEST(CryptoTest, ConstantTimeEqualityComparesContentAndLength) {
  EXPECT_TRUE(equal_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_constant_time("abc", "abcd"));
  EXPECT_TRUE(equal_constant_time("", ""));
}

}  // namespace
}  // namespace farmgate::http::auth
