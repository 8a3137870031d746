// docs/openapi.yaml against the routes: a route registered but not documented, or documented
// but not registered, fails here.
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>
#include <string>
#include <utility>

#include "core/clock.h"
#include "gateway/http/api/routes.h"
#include "gateway/http/api/test_support.h"
#include "gateway/ocop/routes.h"
#include "gateway/store/store.h"
#ifdef FARMGATE_API_TEST_AUTH
#include "gateway/http/auth/auth_routes.h"
#endif

namespace farmgate::http::api {
namespace {

using Routes = std::set<std::pair<std::string, std::string>>;  // (METHOD, /path/{param})

Routes Documented() {
  const YAML::Node spec = YAML::LoadFile(FARMGATE_OPENAPI_PATH);
  Routes out;
  for (const auto& path : spec["paths"]) {
    for (const auto& op : path.second) {
      std::string method = op.first.as<std::string>();
      if (method == "parameters" || method == "summary" || method == "description") continue;
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.emplace(method, path.first.as<std::string>());
    }
  }
  return out;
}

TEST(OpenApiTest, SpecIsOpenApi3WithTheV1Server) {
  const YAML::Node spec = YAML::LoadFile(FARMGATE_OPENAPI_PATH);
  EXPECT_EQ(spec["openapi"].as<std::string>().rfind("3.0", 0), 0u);
  EXPECT_TRUE(spec["components"]["schemas"]["Error"]);
}

TEST(OpenApiTest, EveryRegisteredRouteIsDocumentedAndNothingElse) {
  char tmpl[] = "/tmp/farmgate-openapi-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  {
    // A real (empty) store file, for the Reader and the auth routes.
    FakeClock clock;
    MemoryLogger log;
    Metrics metrics;
    class NoEvents final : public EventSink {
      void raise(Event) override {}
    } events;
    store::StoreOptions options;
    options.config.path = dir + "/farmgate.db";
    ASSERT_TRUE(store::Store::open(options, clock, metrics, log, events).ok());
    auto reader = store::Reader::open(options.config.path);
    ASSERT_TRUE(reader.ok());

    testing::Harness h;
    testing::FakeContext ctx(h.io(), **reader, options.config.path);
    AllowAll allow;
    register_api_routes(h.server(), allow, ctx);
#ifdef FARMGATE_API_TEST_AUTH
    auto auth = auth::SessionAccess::open(options.config.path, clock, log);
    ASSERT_TRUE(auth.ok()) << auth.error().message;
    auth::register_auth_routes(h.server(), **auth);
#endif
    config::Config farm;
    farm.store.path = options.config.path;
    auto tz = rules::SiteTime::load("Asia/Ho_Chi_Minh");
    ASSERT_TRUE(tz.ok()) << tz.error().message;
    auto ocop = ocop::OcopService::open(farm, std::move(*tz), clock);
    ASSERT_TRUE(ocop.ok()) << ocop.error().message;
    ocop::register_ocop_routes(h.server(), allow, **ocop);
    Routes registered;
    for (const auto& r : h.server().routes()) {
      if (r.pattern.rfind("/api/v1/", 0) == 0) registered.emplace(to_string(r.verb), r.pattern);
    }
    Routes documented = Documented();
#ifndef FARMGATE_API_TEST_AUTH
    // Without the auth module in this build, its routes cannot be checked.
    std::erase_if(documented, [](const auto& r) {
      return r.second == "/api/v1/session" || r.second == "/api/v1/users";
    });
#endif
    for (const auto& [method, path] : registered) {
      EXPECT_TRUE(documented.count({method, path}))
          << method << " " << path << " is not in docs/openapi.yaml";
    }
    for (const auto& [method, path] : documented) {
      EXPECT_TRUE(registered.count({method, path}))
          << method << " " << path << " is documented but not registered";
    }
    EXPECT_GE(registered.size(), 9u);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace farmgate::http::api
