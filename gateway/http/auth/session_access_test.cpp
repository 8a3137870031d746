#include "gateway/http/auth/session_access.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>

#include "gateway/http/auth/auth_store.h"
#include "gateway/store/sqlite.h"

namespace farmgate::http::auth {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const Rule kView{{Role::viewer, Role::farmer, Role::officer}, false, "zones.view"};
const Rule kIrrigate{{Role::farmer}, true, "irrigate"};

class SessionAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/farmgate-auth-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/farmgate.db";
    AuthOptions options;
    options.password = PasswordParams::minimal();
    auto a = SessionAccess::open(path_, clock_, log_, options);
    ASSERT_TRUE(a.ok()) << a.error().message;
    access_ = std::move(*a);
    ASSERT_TRUE(add_user("an", Role::farmer, "lua-nuoc-123").ok());
    ASSERT_TRUE(add_user("vy", Role::viewer, "xem-thoi-456").ok());
  }
  void TearDown() override {
    access_.reset();
    fs::remove_all(dir_);
  }

  Result<void> add_user(const std::string& name, Role role, const std::string& pw) {
    std::promise<Result<void>> p;
    access_->add_user(name, role, pw, [&](Result<void> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }

  std::pair<Result<Login>, Millis> login(const std::string& user, const std::string& pw,
                                         const std::string& remote = "10.0.0.5:40000") {
    std::promise<std::pair<Result<Login>, Millis>> p;
    access_->login(user, pw, remote, [&](Result<Login> r, Millis retry) {
      p.set_value({std::move(r), retry});
    });
    return p.get_future().get();
  }

  Result<Principal> check(const Request& r, const Rule& rule) {
    std::promise<Result<Principal>> p;
    access_->check(r, rule, [&](Result<Principal> who) { p.set_value(std::move(who)); });
    return p.get_future().get();
  }

  static Request with_session(const Login& l, std::string csrf = "") {
    Request r;
    r.verb = Verb::post;
    r.method = "POST";
    r.path = "/api/v1/zones/z1/irrigate";
    r.remote = "10.0.0.5:40000";
    r.headers.push_back(Header{"Cookie", "lang=vi; fg_session=" + l.session_id});
    if (!csrf.empty()) r.headers.push_back(Header{"X-CSRF-Token", csrf});
    return r;
  }

  // Waits until the auth thread has done everything queued before.
  void drain() {
    std::promise<void> p;
    access_->list_users([&](auto) { p.set_value(); });
    p.get_future().wait();
  }

  std::int64_t scalar(const std::string& sql) {
    drain();
    auto db = sqlite::Db::open(path_);
    auto st = sqlite::Stmt::prepare(*db, sql);
    EXPECT_TRUE(st.ok()) << sql;
    EXPECT_TRUE(*st->step()) << sql;
    return st->int64(0);
  }

  std::string dir_, path_;
  FakeClock clock_;
  MemoryLogger log_;
  std::unique_ptr<SessionAccess> access_;
};

TEST_F(SessionAccessTest, LoginOpensASessionTheCookieThenIdentifies) {
  auto [l, retry] = login("an", "lua-nuoc-123");
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(l->info.user, "an");
  EXPECT_EQ(l->info.role, Role::farmer);
  EXPECT_EQ(l->session_id.size(), 64u);
  EXPECT_EQ(l->info.csrf.size(), 64u);
  auto who = check(with_session(*l), kView);
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ(who->user, "an");
  EXPECT_EQ(
      scalar("SELECT count(*) FROM sessions WHERE id_hash='" + sha256_hex(l->session_id) + "'"), 1)
      << "stored as its hash";
  EXPECT_EQ(scalar("SELECT count(*) FROM sessions WHERE id_hash='" + l->session_id + "'"), 0);
}

TEST_F(SessionAccessTest, WrongPasswordAndUnknownUserGetTheSame401) {
  auto [wrong, r1] = login("an", "lua-nuoc-124");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, "401");
  auto [nobody, r2] = login("nobody", "lua-nuoc-123");
  ASSERT_FALSE(nobody.ok());
  EXPECT_EQ(nobody.error(), wrong.error());
}

TEST_F(SessionAccessTest, SixthFailureIsThrottledEvenWithTheRightPassword) {
  for (int i = 0; i < 6; ++i) EXPECT_EQ(login("an", "guess").first.error().code, "401");
  auto [l, retry] = login("an", "lua-nuoc-123");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, "429");
  EXPECT_EQ(retry, Millis{1000});
  // Another address is throttled too: the user's own counter.
  EXPECT_EQ(login("an", "lua-nuoc-123", "10.0.0.99:1").first.error().code, "429");
  clock_.advance(1s);
  EXPECT_TRUE(login("an", "lua-nuoc-123").first.ok()) << "the delay passed";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(login("an", "guess").first.error().code, "401");
  EXPECT_EQ(login("an", "guess").first.error().code, "401") << "success reset the count";
}

TEST_F(SessionAccessTest, OneAddressGuessingManyUsersIsThrottled) {
  for (int i = 0; i < 6; ++i) {
    (void)login("user" + std::to_string(i), "guess", "10.0.0.66:" + std::to_string(1000 + i));
  }
  EXPECT_EQ(login("vy", "xem-thoi-456", "10.0.0.66:2000").first.error().code, "429");
  EXPECT_TRUE(login("vy", "xem-thoi-456", "10.0.0.7:2000").first.ok());
}

TEST_F(SessionAccessTest, SessionSlidesWhileUsedAndEndsAfterTwelveIdleHours) {
  auto l = login("an", "lua-nuoc-123").first;
  ASSERT_TRUE(l.ok());
  clock_.advance(11h);
  ASSERT_TRUE(check(with_session(*l), kView).ok());
  clock_.advance(11h);
  ASSERT_TRUE(check(with_session(*l), kView).ok()) << "22 h after login, 11 h idle";
  clock_.advance(12h);
  auto who = check(with_session(*l), kView);
  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.error().code, "401");
  EXPECT_NE(who.error().message.find("expired"), std::string::npos) << who.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM sessions"), 0) << "deleted";
}

TEST_F(SessionAccessTest, SessionEndsThirtyDaysAfterLoginHoweverBusy) {
  auto l = login("an", "lua-nuoc-123").first;
  ASSERT_TRUE(l.ok());
  for (int h = 0; h < 30 * 24 - 10; h += 10) {
    clock_.advance(10h);
    ASSERT_TRUE(check(with_session(*l), kView).ok()) << h;
  }
  clock_.advance(10h);
  auto who = check(with_session(*l), kView);
  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.error().code, "401");
}

TEST_F(SessionAccessTest, StateChangingNeedsTheSessionsCsrfToken) {
  auto l = login("an", "lua-nuoc-123").first;
  ASSERT_TRUE(l.ok());
  auto missing = check(with_session(*l), kIrrigate);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "403");
  auto wrong = check(with_session(*l, std::string(64, 'a')), kIrrigate);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, "403");
  auto other = login("vy", "xem-thoi-456").first;
  auto foreign = check(with_session(*l, other->info.csrf), kIrrigate);
  EXPECT_FALSE(foreign.ok()) << "another session's token";
  auto right = check(with_session(*l, l->info.csrf), kIrrigate);
  ASSERT_TRUE(right.ok()) << right.error().message;
  EXPECT_TRUE(check(with_session(*l), kView).ok()) << "reads need no CSRF token";
}

TEST_F(SessionAccessTest, RoleOutsideTheRuleIsRefusedAndAdminAlwaysPasses) {
  auto vy = login("vy", "xem-thoi-456").first;
  ASSERT_TRUE(vy.ok());
  auto who = check(with_session(*vy, vy->info.csrf), kIrrigate);
  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.error().code, "403");
  EXPECT_EQ(who.error().message, "role viewer may not irrigate");
  ASSERT_TRUE(add_user("root", Role::admin, "quan-tri-789").ok());
  auto admin = login("root", "quan-tri-789").first;
  EXPECT_TRUE(check(with_session(*admin, admin->info.csrf), kIrrigate).ok());
}

TEST_F(SessionAccessTest, NoCredentialsIs401) {
  Request r;
  r.path = "/api/v1/zones";
  auto who = check(r, kView);
  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.error().code, "401");
  r.headers.push_back(Header{"Cookie", "fg_session=" + std::string(64, '0')});
  EXPECT_EQ(check(r, kView).error().code, "401");
}

TEST_F(SessionAccessTest, BearerTokenActsWithItsRoleWithoutCsrf) {
  std::string token;
  {
    auto store = AuthStore::open(path_);
    ASSERT_TRUE(store.ok());
    auto t = issue_api_token(*store, "an", "pump-script", to_epoch_ms(clock_.now()));
    ASSERT_TRUE(t.ok()) << t.error().message;
    token = *t;
    EXPECT_FALSE(issue_api_token(*store, "ghost", "x", 0).ok());
  }
  EXPECT_TRUE(token.starts_with("fgt_"));
  Request r;
  r.verb = Verb::post;
  r.headers.push_back(Header{"Authorization", "Bearer " + token});
  auto who = check(r, kIrrigate);
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ(who->user, "token:pump-script");
  EXPECT_EQ(who->role, Role::farmer);
  EXPECT_EQ(check(r, Rule{{Role::officer}, false, "export"}).error().code, "403");
  Request bad;
  bad.headers.push_back(Header{"Authorization", "Bearer fgt_" + std::string(64, '1')});
  EXPECT_EQ(check(bad, kView).error().code, "401");
  EXPECT_EQ(scalar("SELECT count(*) FROM api_tokens WHERE id_hash='" + sha256_hex(token) + "'"), 1);
  {
    auto db = sqlite::Db::open(path_);
    ASSERT_TRUE(db->exec("UPDATE users SET role='viewer' WHERE name='an'").ok());
  }
  EXPECT_EQ(check(r, kView).error().code, "401") << "demoted user: the token stops working";
}

TEST_F(SessionAccessTest, AuditHasOneRowPerStateChangingRequest) {
  auto l = login("an", "lua-nuoc-123").first;
  (void)login("an", "bad-password");
  ASSERT_TRUE(l.ok());
  (void)check(with_session(*l), kIrrigate);  // refused: no CSRF, audited by check()
  auto who = check(with_session(*l, l->info.csrf), kIrrigate);
  ASSERT_TRUE(who.ok());
  (void)check(with_session(*l), kView);  // a read: not audited
  access_->audit(with_session(*l, l->info.csrf), *who, kIrrigate, 200, "run 17");
  EXPECT_EQ(scalar("SELECT count(*) FROM audit WHERE action='session.login' AND status=200"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM audit WHERE action='session.login' AND status=401"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM audit WHERE action='irrigate'"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM audit WHERE action='irrigate' AND status=403 AND "
                   "user='an' AND remote='10.0.0.5:40000' AND method='POST' AND "
                   "path='/api/v1/zones/z1/irrigate'"),
            1);
  EXPECT_EQ(scalar("SELECT count(*) FROM audit WHERE action='irrigate' AND status=200 AND "
                   "detail='run 17' AND ts=" +
                   std::to_string(to_epoch_ms(clock_.now()))),
            1);
  EXPECT_EQ(scalar("SELECT count(*) FROM audit"), 4);
}

TEST_F(SessionAccessTest, AddUserValidatesAndRefusesDuplicates) {
  EXPECT_EQ(add_user("an", Role::viewer, "whatever-123").error().code, "409");
  EXPECT_EQ(add_user("bad name", Role::viewer, "whatever-123").error().code, "400");
  EXPECT_EQ(add_user("short", Role::viewer, "1234567").error().code, "400");
}

TEST_F(SessionAccessTest, LogoutEndsTheSession) {
  auto l = login("an", "lua-nuoc-123").first;
  ASSERT_TRUE(l.ok());
  std::promise<void> p;
  access_->logout(with_session(*l), [&] { p.set_value(); });
  p.get_future().wait();
  EXPECT_EQ(check(with_session(*l), kView).error().code, "401");
}

}  // namespace
}  // namespace farmgate::http::auth
