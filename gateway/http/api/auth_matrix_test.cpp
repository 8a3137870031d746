// Every /api/v1 route against the real SessionAccess: without credentials, with too small a
// role, without the CSRF token, and with a malformed body. Each refusal must be a 4xx with a
// JSON reason, never a crash or a 2xx. Routes are taken from the server itself, so a route
// added later is checked without anyone remembering to.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <future>
#include <set>
#include <string>

#include "core/clock.h"
#include "gateway/http/api/routes.h"
#include "gateway/http/api/test_support.h"
#include "gateway/http/auth/auth_routes.h"
#include "gateway/http/auth/session_access.h"
#include "gateway/ocop/routes.h"
#include "gateway/store/store.h"

namespace farmgate::http::api {
namespace {

namespace bhttp = boost::beast::http;
using http::testing::Client;
using http::testing::ClientResponse;

class NoEvents final : public EventSink {
  void raise(Event) override {}
};

struct Route {
  std::string method;
  std::string path;  // parameters filled in
  bool writes = false;
};

class AuthMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/farmgate-authmatrix-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store::StoreOptions options;
    options.config.path = dir_ + "/farmgate.db";
    auto s = store::Store::open(options, clock_, metrics_, log_, events_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    store_->start({});
    auto r = store::Reader::open(options.config.path);
    ASSERT_TRUE(r.ok());
    reader_ = std::move(*r);
    ctx_ = std::make_unique<testing::FakeContext>(h_.io(), *reader_, options.config.path);
    ctx_->zones = {{"z1", R"({"id":"z1"})"}};
    auth::AuthOptions ao;
    ao.password = auth::PasswordParams::minimal();
    auto a = auth::SessionAccess::open(options.config.path, clock_, log_, ao);
    ASSERT_TRUE(a.ok()) << a.error().message;
    access_ = std::move(*a);
    for (const auto& [name, role] :
         {std::pair{"root", Role::admin}, {"ba", Role::farmer}, {"xem", Role::viewer}}) {
      std::promise<Result<void>> p;
      access_->add_user(name, role, std::string(name) + "-password",
                        [&](Result<void> r) { p.set_value(std::move(r)); });
      ASSERT_TRUE(p.get_future().get().ok());
    }
    register_api_routes(h_.server(), *access_, *ctx_);
    auth::register_auth_routes(h_.server(), *access_);
    config::Config farm;
    farm.store.path = options.config.path;
    farm.zones = {config::Zone{"z1", "z1", 1000}};
    auto tz = rules::SiteTime::load("Asia/Ho_Chi_Minh");
    ASSERT_TRUE(tz.ok()) << tz.error().message;
    auto ocop = ocop::OcopService::open(farm, std::move(*tz), clock_);
    ASSERT_TRUE(ocop.ok()) << ocop.error().message;
    ocop_ = std::move(*ocop);
    ocop::register_ocop_routes(h_.server(), *access_, *ocop_);
    h_.start();
    for (const auto& e : h_.server().routes()) {
      if (!e.pattern.starts_with("/api/v1/")) continue;
      std::string path = e.pattern;
      for (const auto& [param, value] : {std::pair{"{zone}", "z1"},
                                         {"{id}", "1"},
                                         {"{name}", "ba"},
                                         {"{lot}", "L1"},
                                         {"{kind}", "lots"}}) {
        if (auto at = path.find(param); at != std::string::npos) {
          path.replace(at, std::string(param).size(), value);
        }
      }
      const std::string method = to_string(e.verb);
      routes_.push_back(Route{method, path, method != "GET" && method != "HEAD"});
    }
  }
  void TearDown() override {
    h_.shutdown();
    if (ocop_) ocop_->stop();
    access_.reset();
    reader_.reset();
    if (store_) store_->stop();
    std::filesystem::remove_all(dir_);
  }

  ClientResponse send(const Route& r, const std::string& headers, const std::string& body = "") {
    Client c(h_.port());
    std::string raw = r.method + " " + r.path + " HTTP/1.1\r\nHost: t\r\n" + headers;
    if (!body.empty() || r.writes) {
      raw += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    raw += "\r\n" + body;
    EXPECT_FALSE(c.send_raw(raw));
    auto resp = c.read();
    EXPECT_TRUE(resp) << r.method << " " << r.path << ": no answer";
    return resp ? *resp : ClientResponse{};
  }

  // The cookie header and the CSRF token of a fresh session.
  std::pair<std::string, std::string> login(const std::string& user) {
    const auto r = send(Route{"POST", "/api/v1/session", true}, "",
                        R"({"user":")" + user + R"(","password":")" + user + R"(-password"})");
    EXPECT_EQ(r.result_int(), 200u) << r.body();
    const std::string cookie(r[bhttp::field::set_cookie]);
    boost::system::error_code ec;
    const auto v = boost::json::parse(r.body(), ec);
    return {"Cookie: " + cookie.substr(0, cookie.find(';')) + "\r\n",
            std::string(v.at("csrf").as_string())};
  }

  static void expect_refusal(const Route& r, const ClientResponse& resp, unsigned status,
                             const std::string& why) {
    EXPECT_EQ(resp.result_int(), status)
        << why << ": " << r.method << " " << r.path << " → " << resp.body();
    boost::system::error_code ec;
    const auto v = boost::json::parse(resp.body(), ec);
    ASSERT_FALSE(ec) << why << ": " << r.method << " " << r.path << " body is not JSON";
    const auto* reason = v.is_object() ? v.as_object().if_contains("reason") : nullptr;
    EXPECT_TRUE(reason && reason->is_string() && !reason->as_string().empty())
        << why << ": " << r.method << " " << r.path << " has no reason";
  }

  static bool is_session(const Route& r) { return r.path == "/api/v1/session"; }
  static bool is_token(const Route& r) { return r.path.starts_with("/api/v1/tokens"); }

  std::string dir_;
  FakeClock clock_;
  Metrics metrics_;
  MemoryLogger log_;
  NoEvents events_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::Reader> reader_;
  testing::Harness h_;
  std::unique_ptr<testing::FakeContext> ctx_;
  std::unique_ptr<auth::SessionAccess> access_;
  std::unique_ptr<ocop::OcopService> ocop_;
  std::vector<Route> routes_;
};

TEST_F(AuthMatrixTest, EveryRouteWantsCredentials) {
  ASSERT_GT(routes_.size(), 15u);
  for (const auto& r : routes_) {
    if (is_session(r) && r.method != "GET") continue;  // logging in and out need none
    expect_refusal(r, send(r, ""), 401, "no credentials");
    expect_refusal(r, send(r, "Cookie: fg_session=forged\r\n"), 401, "a forged cookie");
    expect_refusal(r, send(r, "Authorization: Bearer fgt_00\r\n"), 401, "a forged token");
  }
}

TEST_F(AuthMatrixTest, EveryStateChangingRouteWantsTheCsrfTokenWithACookie) {
  const auto [cookie, csrf] = login("root");
  for (const auto& r : routes_) {
    if (!r.writes || is_session(r)) continue;
    expect_refusal(r, send(r, cookie), 403, "no CSRF token");
    expect_refusal(r, send(r, cookie + "X-CSRF-Token: " + std::string(csrf.size(), '0') + "\r\n"),
                   403, "a wrong CSRF token");
  }
}

TEST_F(AuthMatrixTest, AViewerChangesNothingButTheirOwnTokens) {
  const auto [cookie, csrf] = login("xem");
  for (const auto& r : routes_) {
    if (!r.writes || is_session(r) || is_token(r)) continue;
    expect_refusal(r, send(r, cookie + "X-CSRF-Token: " + csrf + "\r\n", "{}"), 403, "a viewer");
  }
  // Reading is allowed, except what only an admin (or an officer) may see.
  const std::set<std::string> admin_only{"/api/v1/users", "/api/v1/audit", "/api/v1/export/lots"};
  for (const auto& r : routes_) {
    if (r.writes || r.path == "/api/v1/events") continue;  // the stream never ends
    const auto resp = send(r, cookie);
    if (admin_only.contains(r.path)) {
      expect_refusal(r, resp, 403, "a viewer reading admin or officer data");
    } else {
      // Let through: answered by the route itself (a missing parameter is its own 400).
      EXPECT_TRUE(resp.result_int() != 401 && resp.result_int() != 403)
          << r.method << " " << r.path << " → " << resp.body();
    }
  }
}

TEST_F(AuthMatrixTest, MalformedJsonBodiesAre400WithAReason) {
  const auto [cookie, csrf] = login("root");
  const std::string headers = cookie + "X-CSRF-Token: " + csrf + "\r\n";
  for (const auto& r : routes_) {
    if (r.method != "POST" && r.method != "PATCH") continue;
    // Routes that take no body ignore it; the others must refuse each of these.
    if (r.path.ends_with("/ack") || r.path.ends_with("/stop")) continue;
    const std::vector<std::string> bodies{"{", "[1,2]", "\"text\"", R"({"minutes":)",
                                          "{\"a\":\"\xff\xfe\"}"};
    for (const std::string& body : bodies) {
      const auto resp = send(r, is_session(r) ? "" : headers, body);
      expect_refusal(r, resp, 400, "body " + body);
    }
  }
}

}  // namespace
}  // namespace farmgate::http::api
