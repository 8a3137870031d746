#include "gateway/user_cmd.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "gateway/http/auth/auth_store.h"

namespace farmgate::gateway {
namespace {

namespace fs = std::filesystem;

class UserCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/farmgate-usercmd-XXXXXX";
    dir_ = mkdtemp(tmpl);
    db_ = dir_ + "/farmgate.db";
  }
  void TearDown() override { fs::remove_all(dir_); }

  int run(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    std::istringstream in(stdin_text);
    out_.str("");
    err_.str("");
    return run_user_command(args, db_, UserCommandIo{in, false, out_, err_}, clock_,
                            http::auth::PasswordParams::minimal());
  }

  std::string dir_, db_;
  FakeClock clock_;
  std::ostringstream out_, err_;
};

TEST_F(UserCommandTest, AddsAUserWithThePasswordFromAPipe) {
  ASSERT_EQ(run({"add", "an", "--role", "farmer"}, "lua-nuoc-123\n"), 0) << err_.str();
  EXPECT_EQ(out_.str(), "added an as farmer\n");
  auto store = http::auth::AuthStore::open(db_);
  ASSERT_TRUE(store.ok());
  auto user = store->find_user("an");
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_EQ((*user)->role, http::Role::farmer);
  EXPECT_TRUE(http::auth::verify_password((*user)->pw_hash, "lua-nuoc-123"))
      << "the newline is not part of the password";
}

TEST_F(UserCommandTest, RefusesBadInputWithExitTwo) {
  EXPECT_EQ(run({"add", "an", "--role", "boss"}, "lua-nuoc-123\n"), 2);
  EXPECT_NE(err_.str().find("--role"), std::string::npos) << err_.str();
  EXPECT_EQ(run({"add", "an", "--role", "farmer"}, "short\n"), 2);
  EXPECT_NE(err_.str().find("at least 8"), std::string::npos) << err_.str();
  EXPECT_EQ(run({"add", "an", "--role", "farmer"}, ""), 2);
  EXPECT_NE(err_.str().find("no password"), std::string::npos) << err_.str();
  EXPECT_EQ(run({"add", "a b", "--role", "farmer"}, "lua-nuoc-123\n"), 2);
  EXPECT_EQ(run({"remove", "an"}), 2);
  ASSERT_EQ(run({"add", "an", "--role", "farmer"}, "lua-nuoc-123\n"), 0);
  EXPECT_EQ(run({"add", "an", "--role", "admin"}, "other-pass-1\n"), 2);
  EXPECT_NE(err_.str().find("exists already"), std::string::npos) << err_.str();
}

TEST_F(UserCommandTest, TokenIsPrintedOnceAndStoredHashed) {
  ASSERT_EQ(run({"add", "cuong", "--role", "officer"}, "can-bo-12345\n"), 0);
  ASSERT_EQ(run({"token", "cuong", "--label", "export-script"}), 0) << err_.str();
  std::string token = out_.str();
  ASSERT_FALSE(token.empty());
  token.pop_back();
  EXPECT_TRUE(token.starts_with("fgt_")) << token;
  auto store = http::auth::AuthStore::open(db_);
  auto rec = store->token(http::auth::sha256_hex(token));
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((*rec)->name, "export-script");
  EXPECT_EQ((*rec)->role, http::Role::officer);
  EXPECT_EQ(run({"token", "nobody"}), 2);
  ASSERT_EQ(run({"list"}), 0);
  EXPECT_EQ(out_.str(), "cuong\tofficer\n");
}

TEST_F(UserCommandTest, DisablesChangesAndDeletesUsersButKeepsTheLastAdmin) {
  ASSERT_EQ(run({"add", "root", "--role", "admin"}, "quan-tri-789\n"), 0) << err_.str();
  ASSERT_EQ(run({"add", "ba", "--role", "farmer"}, "mat-khau-ba\n"), 0) << err_.str();

  EXPECT_EQ(run({"disable", "ba"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "disabled ba\n");
  ASSERT_EQ(run({"list"}), 0);
  EXPECT_EQ(out_.str(), "ba\tfarmer\tdisabled\nroot\tadmin\n");
  EXPECT_EQ(run({"enable", "ba"}), 0);
  EXPECT_EQ(run({"role", "ba", "--role", "officer"}), 0) << err_.str();
  ASSERT_EQ(run({"list"}), 0);
  EXPECT_EQ(out_.str(), "ba\tofficer\nroot\tadmin\n");

  EXPECT_EQ(run({"passwd", "ba"}, "short\n"), 2);
  EXPECT_EQ(run({"passwd", "ba"}, "mat-khau-moi\n"), 0) << err_.str();
  auto store = http::auth::AuthStore::open(db_);
  ASSERT_TRUE(store.ok());
  auto rec = store->find_user("ba");
  ASSERT_TRUE(rec.ok() && *rec);
  EXPECT_TRUE(http::auth::verify_password((*rec)->pw_hash, "mat-khau-moi"));

  EXPECT_EQ(run({"disable", "root"}), 2);
  EXPECT_NE(err_.str().find("last active admin"), std::string::npos) << err_.str();
  EXPECT_EQ(run({"delete", "root"}), 2);
  EXPECT_EQ(run({"delete", "nobody"}), 2);
  EXPECT_EQ(run({"delete", "ba"}), 0) << err_.str();
  ASSERT_EQ(run({"list"}), 0);
  EXPECT_EQ(out_.str(), "root\tadmin\n");
}

TEST_F(UserCommandTest, RevokesATokenByItsLabel) {
  ASSERT_EQ(run({"add", "ba", "--role", "farmer"}, "mat-khau-ba\n"), 0);
  ASSERT_EQ(run({"token", "ba", "--label", "may-bom"}), 0);
  EXPECT_EQ(run({"revoke", "ba"}), 2);
  EXPECT_EQ(run({"revoke", "ba", "--label", "may-bom"}), 0) << err_.str();
  EXPECT_EQ(run({"revoke", "ba", "--label", "may-bom"}), 2);
  EXPECT_NE(err_.str().find("no token named"), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace farmgate::gateway
