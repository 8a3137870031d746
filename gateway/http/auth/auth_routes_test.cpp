#include "gateway/http/auth/auth_routes.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>

#include "gateway/http/test_client.h"

namespace farmgate::http::auth {
namespace {

namespace fs = std::filesystem;
namespace bhttp = boost::beast::http;
using testing::Client;
using testing::ClientResponse;
using testing::JsonString;
using testing::ServerHarness;

// A request with any headers, through the raw socket (Client::request sends none of its own).
std::optional<ClientResponse> send(Client& c, const std::string& method, const std::string& target,
                                   const std::string& headers, const std::string& body = "") {
  std::string raw = method + " " + target + " HTTP/1.1\r\nHost: farmgate.test\r\n" + headers;
  if (!body.empty() || method == "POST") {
    raw +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  raw += "\r\n" + body;
  if (c.send_raw(raw)) return std::nullopt;
  return c.read();
}

boost::json::value body_of(const ClientResponse& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body(), ec);
  return ec ? boost::json::value() : v;
}

class AuthRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/farmgate-authroutes-XXXXXX";
    dir_ = mkdtemp(tmpl);
    AuthOptions options;
    options.password = PasswordParams::minimal();
    auto a = SessionAccess::open(dir_ + "/farmgate.db", clock_, log_, options);
    ASSERT_TRUE(a.ok()) << a.error().message;
    access_ = std::move(*a);
    std::promise<Result<void>> p;
    access_->add_user("root", Role::admin, "quan-tri-789",
                      [&](Result<void> r) { p.set_value(std::move(r)); });
    ASSERT_TRUE(p.get_future().get().ok());
    register_auth_routes(h_.server(), *access_);
    h_.start();
  }
  void TearDown() override {
    h_.shutdown();
    access_.reset();
    fs::remove_all(dir_);
  }

  // Logs in; returns the Cookie header line and the CSRF token.
  std::pair<std::string, std::string> login(Client& c, const std::string& user,
                                            const std::string& pw) {
    auto r = send(c, "POST", "/api/v1/session", "",
                  R"({"user":")" + user + R"(","password":")" + pw + R"("})");
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->result_int(), 200u) << r->body();
    const std::string set_cookie((*r)[bhttp::field::set_cookie]);
    const auto semi = set_cookie.find(';');
    return {"Cookie: " + set_cookie.substr(0, semi) + "\r\n", JsonString(body_of(*r), "csrf")};
  }

  FakeClock clock_;
  MemoryLogger log_;
  std::string dir_;
  std::unique_ptr<SessionAccess> access_;
  ServerHarness h_;
};

TEST_F(AuthRoutesTest, LoginSetsAStrictHttpOnlyCookieAndGetSessionReturnsTheCsrf) {
  Client c(h_.port());
  auto r = send(c, "POST", "/api/v1/session", "", R"({"user":"root","password":"quan-tri-789"})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->result_int(), 200u) << r->body();
  const std::string cookie((*r)[bhttp::field::set_cookie]);
  EXPECT_TRUE(cookie.starts_with("fg_session=")) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(cookie.find("Path=/"), std::string::npos);
  const auto body = body_of(*r);
  EXPECT_EQ(JsonString(body, "user"), "root");
  EXPECT_EQ(JsonString(body, "role"), "admin");

  const std::string header = "Cookie: " + cookie.substr(0, cookie.find(';')) + "\r\n";
  auto me = send(c, "GET", "/api/v1/session", header);
  ASSERT_TRUE(me);
  EXPECT_EQ(me->result_int(), 200u);
  EXPECT_EQ(JsonString(body_of(*me), "csrf"), JsonString(body, "csrf"));

  auto none = send(c, "GET", "/api/v1/session", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->result_int(), 401u);
  EXPECT_EQ(JsonString(body_of(*none), "error"), "unauthorized");
}

TEST_F(AuthRoutesTest, TooManyFailuresAnswer429WithRetryAfter) {
  Client c(h_.port());
  for (int i = 0; i < 6; ++i) {
    auto r = send(c, "POST", "/api/v1/session", "", R"({"user":"root","password":"nope"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result_int(), 401u);
  }
  auto r = send(c, "POST", "/api/v1/session", "", R"({"user":"root","password":"quan-tri-789"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 429u);
  EXPECT_EQ((*r)[bhttp::field::retry_after], "1");
  EXPECT_EQ(JsonString(body_of(*r), "error"), "too_many_requests");
}

TEST_F(AuthRoutesTest, AdminAddsAUserOnlyWithTheCsrfToken) {
  Client c(h_.port());
  auto [cookie, csrf] = login(c, "root", "quan-tri-789");
  const std::string body = R"({"name":"an","role":"farmer","password":"lua-nuoc-123"})";
  auto no_csrf = send(c, "POST", "/api/v1/users", cookie, body);
  ASSERT_TRUE(no_csrf);
  EXPECT_EQ(no_csrf->result_int(), 403u);
  EXPECT_EQ(JsonString(body_of(*no_csrf), "error"), "forbidden");

  auto added = send(c, "POST", "/api/v1/users", cookie + "X-CSRF-Token: " + csrf + "\r\n", body);
  ASSERT_TRUE(added);
  EXPECT_EQ(added->result_int(), 201u) << added->body();
  auto again = send(c, "POST", "/api/v1/users", cookie + "X-CSRF-Token: " + csrf + "\r\n", body);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result_int(), 409u);

  auto list = send(c, "GET", "/api/v1/users", cookie);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->result_int(), 200u);
  EXPECT_EQ(
      list->body(),
      R"([{"name":"an","role":"farmer","disabled":false},{"name":"root","role":"admin","disabled":false}])");

  // The farmer may log in but not manage users.
  Client c2(h_.port());
  auto [farmer_cookie, farmer_csrf] = login(c2, "an", "lua-nuoc-123");
  auto refused = send(c2, "GET", "/api/v1/users", farmer_cookie);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result_int(), 403u);
}

TEST_F(AuthRoutesTest, LogoutClearsTheCookieAndEndsTheSession) {
  Client c(h_.port());
  auto [cookie, csrf] = login(c, "root", "quan-tri-789");
  auto out = send(c, "DELETE", "/api/v1/session", cookie);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->result_int(), 204u);
  EXPECT_NE(std::string((*out)[bhttp::field::set_cookie]).find("Max-Age=0"), std::string::npos);
  auto me = send(c, "GET", "/api/v1/session", cookie);
  ASSERT_TRUE(me);
  EXPECT_EQ(me->result_int(), 401u);
}

TEST_F(AuthRoutesTest, LoginTakesJsonOnly) {
  Client c(h_.port());
  const std::string form = "user=root&password=quan-tri-789";
  ASSERT_FALSE(
      c.send_raw("POST /api/v1/session HTTP/1.1\r\nHost: farmgate.test\r\n"
                 "Content-Type: application/x-www-form-urlencoded\r\n"
                 "Content-Length: " +
                 std::to_string(form.size()) + "\r\n\r\n" + form));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 415u) << "a cross-site form cannot log anyone in";
  auto bad = send(c, "POST", "/api/v1/session", "", "[1,2]");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->result_int(), 400u);
}

// ---- user, token and audit administration ----------------------------------------------------

class AuthAdminTest : public AuthRoutesTest {
 protected:
  void add(const std::string& name, Role role, const std::string& pw) {
    std::promise<Result<void>> p;
    access_->add_user(name, role, pw, [&](Result<void> r) { p.set_value(std::move(r)); });
    ASSERT_TRUE(p.get_future().get().ok());
  }
  std::string with_csrf(const std::pair<std::string, std::string>& s) {
    return s.first + "X-CSRF-Token: " + s.second + "\r\n";
  }
};

TEST_F(AuthAdminTest, DisablingAUserEndsTheSessionAndRefusesLogin) {
  add("ba", Role::farmer, "mat-khau-ba");
  Client admin(h_.port()), farmer(h_.port());
  const auto root = login(admin, "root", "quan-tri-789");
  const auto ba = login(farmer, "ba", "mat-khau-ba");
  auto r = send(admin, "PATCH", "/api/v1/users/ba", with_csrf(root), R"({"disabled":true})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u) << r->body();
  auto me = send(farmer, "GET", "/api/v1/session", ba.first);
  ASSERT_TRUE(me);
  EXPECT_EQ(me->result_int(), 401u);
  auto again =
      send(farmer, "POST", "/api/v1/session", "", R"({"user":"ba","password":"mat-khau-ba"})");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result_int(), 401u);
  auto list = send(admin, "GET", "/api/v1/users", root.first);
  ASSERT_TRUE(list);
  EXPECT_NE(list->body().find(R"({"name":"ba","role":"farmer","disabled":true})"),
            std::string::npos)
      << list->body();
}

TEST_F(AuthAdminTest, TheLastAdminCanBeNeitherDemotedNorDeleted) {
  Client c(h_.port());
  const auto root = login(c, "root", "quan-tri-789");
  auto demote = send(c, "PATCH", "/api/v1/users/root", with_csrf(root), R"({"role":"farmer"})");
  ASSERT_TRUE(demote);
  EXPECT_EQ(demote->result_int(), 409u) << demote->body();
  auto del = send(c, "DELETE", "/api/v1/users/root", with_csrf(root));
  ASSERT_TRUE(del);
  EXPECT_EQ(del->result_int(), 409u) << del->body();
  auto missing = send(c, "DELETE", "/api/v1/users/nobody", with_csrf(root));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->result_int(), 404u);

  add("tu", Role::admin, "mat-khau-tu");
  auto ok = send(c, "DELETE", "/api/v1/users/root", with_csrf(root));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->result_int(), 204u) << ok->body();
}

TEST_F(AuthAdminTest, BadPatchBodiesAreRefusedWithAReason) {
  add("ba", Role::farmer, "mat-khau-ba");
  Client c(h_.port());
  const auto root = login(c, "root", "quan-tri-789");
  for (const std::string body : {R"({"role":"king"})", R"({"disabled":"yes"})", R"({})",
                                 R"({"password":"short"})", R"([1])", R"({"colour":1})"}) {
    auto r = send(c, "PATCH", "/api/v1/users/ba", with_csrf(root), body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result_int(), 400u) << body << " → " << r->body();
    EXPECT_FALSE(JsonString(body_of(*r), "reason").empty()) << body;
  }
}

TEST_F(AuthAdminTest, AUserMakesUsesAndRevokesTheirOwnToken) {
  add("ba", Role::farmer, "mat-khau-ba");
  Client c(h_.port());
  const auto ba = login(c, "ba", "mat-khau-ba");
  auto made = send(c, "POST", "/api/v1/tokens", with_csrf(ba), R"({"name":"may-bom"})");
  ASSERT_TRUE(made);
  ASSERT_EQ(made->result_int(), 201u) << made->body();
  const std::string token = JsonString(body_of(*made), "token");
  ASSERT_TRUE(token.starts_with("fgt_")) << token;

  Client script(h_.port());
  auto list = send(script, "GET", "/api/v1/tokens", "Authorization: Bearer " + token + "\r\n");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->result_int(), 403u) << "a token cannot list tokens: it has no user";

  auto mine = send(c, "GET", "/api/v1/tokens", ba.first);
  ASSERT_TRUE(mine);
  EXPECT_NE(mine->body().find(R"("name":"may-bom","user":"ba")"), std::string::npos)
      << mine->body();

  auto other = send(c, "DELETE", "/api/v1/tokens/may-bom?user=root", with_csrf(ba));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->result_int(), 403u);
  auto revoked = send(c, "DELETE", "/api/v1/tokens/may-bom", with_csrf(ba));
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->result_int(), 204u) << revoked->body();
  auto again = send(c, "DELETE", "/api/v1/tokens/may-bom", with_csrf(ba));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result_int(), 404u);

  auto after = send(script, "GET", "/api/v1/session", "Authorization: Bearer " + token + "\r\n");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->result_int(), 401u);
}

TEST_F(AuthAdminTest, TheAuditLogExportsAsCsvForExcel) {
  add("ba", Role::farmer, "mat-khau-ba");
  Client c(h_.port());
  const auto root = login(c, "root", "quan-tri-789");
  auto patch = send(c, "PATCH", "/api/v1/users/ba", with_csrf(root), R"({"role":"viewer"})");
  ASSERT_TRUE(patch);
  ASSERT_EQ(patch->result_int(), 200u);

  auto csv = send(c, "GET", "/api/v1/audit?format=csv", root.first);
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->result_int(), 200u) << csv->body();
  EXPECT_EQ(std::string((*csv)[bhttp::field::content_type]), "text/csv; charset=utf-8");
  const std::string body = csv->body();
  EXPECT_TRUE(body.starts_with("\xEF\xBB\xBFtime_utc,ts_ms,user,")) << body;
  EXPECT_NE(body.find(",root,"), std::string::npos);
  EXPECT_NE(body.find(",PATCH,/api/v1/users/ba,user.change,200,ba role=viewer\r\n"),
            std::string::npos)
      << body;

  auto json = send(c, "GET", "/api/v1/audit?from=0&limit=1", root.first);
  ASSERT_TRUE(json);
  ASSERT_EQ(json->result_int(), 200u);
  ASSERT_TRUE(body_of(*json).is_array());
  EXPECT_EQ(body_of(*json).as_array().size(), 1u);

  auto bad = send(c, "GET", "/api/v1/audit?from=yesterday", root.first);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->result_int(), 400u);

  Client farmer(h_.port());
  add("nam", Role::farmer, "mat-khau-nam");
  const auto nam = login(farmer, "nam", "mat-khau-nam");
  auto refused = send(farmer, "GET", "/api/v1/audit", nam.first);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result_int(), 403u);
}

}  // namespace
}  // namespace farmgate::http::auth
