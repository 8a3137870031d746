#include "gateway/http/ops_routes.h"

#include <gtest/gtest.h>

#include "gateway/http/test_client.h"

namespace farmgate::http {
namespace {

using testing::Client;
using testing::JsonString;
using testing::ServerHarness;
namespace bhttp = boost::beast::http;

class OpsRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_ops_routes(h_.server(), health_, h_.metrics());
    h_.start();
  }

  Health health_;  // before the harness: outlives the server's handlers
  ServerHarness h_;
};

TEST_F(OpsRoutesTest, HealthzIs200WhenEverythingIsUp) {
  health_.set("mqtt", Health::Status::up, "connected to tcp://127.0.0.1:1883");
  health_.set("store", Health::Status::up);
  Client c(h_.port());
  const auto r = c.get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ((*r)[bhttp::field::content_type], "application/json");
  EXPECT_EQ((*r)[bhttp::field::cache_control], "no-store");
  const auto body = boost::json::parse(r->body());
  EXPECT_EQ(JsonString(body, "status"), "up");
  EXPECT_EQ(JsonString(body.at("components").at("mqtt"), "detail"),
            "connected to tcp://127.0.0.1:1883");
}

TEST_F(OpsRoutesTest, HealthzIs200WhenDegraded) {
  health_.set("uplink/influx", Health::Status::degraded, "retrying");
  Client c(h_.port());
  const auto r = c.get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ(JsonString(boost::json::parse(r->body()), "status"), "degraded");
}

TEST_F(OpsRoutesTest, HealthzIs503WhenAComponentIsDown) {
  health_.set("mqtt", Health::Status::up);
  health_.set("store", Health::Status::down, "database is locked");
  Client c(h_.port());
  const auto r = c.get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 503u);
  const auto body = boost::json::parse(r->body());
  EXPECT_EQ(JsonString(body, "status"), "down");
  EXPECT_EQ(JsonString(body.at("components").at("store"), "status"), "down");
}

TEST_F(OpsRoutesTest, MetricsIsPrometheusTextWithHttpSelfMetrics) {
  Client c(h_.port());
  ASSERT_TRUE(c.get("/healthz"));
  const auto r = c.get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ((*r)[bhttp::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = r->body();
  EXPECT_NE(text.find("# TYPE farmgate_http_requests_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("farmgate_http_requests_total{code=\"200\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("farmgate_http_connections 1\n"), std::string::npos) << text;
}

TEST_F(OpsRoutesTest, OpsRoutesAreGetOnly) {
  Client c(h_.port());
  const auto r = c.request(bhttp::verb::post, "/healthz", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 405u);
  EXPECT_EQ((*r)[bhttp::field::allow], "GET, HEAD");
}

}  // namespace
}  // namespace farmgate::http
