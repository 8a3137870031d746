#include "gateway/uplink/influx_writer.h"

#include <gtest/gtest.h>

#include <future>

#include "gateway/uplink/test_http_server.h"

namespace farmgate::uplink {
namespace {

using testing::HttpResponse;
using testing::TestHttpServer;
using Kind = WriteOutcome::Kind;
using namespace std::chrono_literals;

const std::string kBody =
    "soil,device=soil-z1,zone=z1 moisture=31.5 1767225600000\n"
    "soil,device=soil-z2,zone=z2 moisture=40 1767225600000\n";

class InfluxWriterTest : public ::testing::Test {
 protected:
  config::UplinkConfig v1() {
    config::UplinkConfig c;
    c.name = "influx";
    c.type = config::UplinkType::influxdb_v1;
    c.url = server_.url();
    c.database = "farm";
    c.gzip = false;
    c.timeout = 5s;
    return c;
  }
  config::UplinkConfig v2() {
    config::UplinkConfig c = v1();
    c.type = config::UplinkType::influxdb_v2;
    c.database.clear();
    c.org = "hợp tác xã";
    c.bucket = "farm/raw";
    c.token = "s3cr3t==";
    return c;
  }
  std::unique_ptr<InfluxWriter> writer(const config::UplinkConfig& c) {
    auto w = InfluxWriter::create(c, clock_);
    EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().message);
    return w.ok() ? std::move(*w) : nullptr;
  }
  WriteOutcome answer(HttpResponse response) {
    server_.script({std::move(response)});
    return writer(v1())->write(kBody, 2);
  }

  FakeClock clock_;
  TestHttpServer server_;
};

TEST_F(InfluxWriterTest, V1PostsToWriteWithDatabaseAndMillisecondPrecision) {
  const WriteOutcome o = writer(v1())->write(kBody, 2);
  EXPECT_EQ(o.kind, Kind::delivered);
  EXPECT_EQ(o.status, 204);
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/write?db=farm&precision=ms");
  EXPECT_EQ(reqs[0].body, kBody);
  EXPECT_EQ(reqs[0].header("authorization"), "");
  EXPECT_EQ(reqs[0].header("content-encoding"), "");
  EXPECT_EQ(reqs[0].header("expect"), "");
}

TEST_F(InfluxWriterTest, V1EncodesQueryValuesAndSendsBasicAuth) {
  auto c = v1();
  c.database = "farm data&x=1";
  c.retention_policy = "một năm";
  c.username = "u";
  c.password = "p";
  ASSERT_EQ(writer(c)->write(kBody, 2).kind, Kind::delivered);
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path(), "/write");
  EXPECT_EQ(reqs[0].target.find(' '), std::string::npos);
  auto q = reqs[0].query();
  EXPECT_EQ(q["db"], "farm data&x=1");
  EXPECT_EQ(q["rp"], "một năm");
  EXPECT_EQ(q["precision"], "ms");
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(reqs[0].header("authorization"), "Basic dTpw");  // base64("u:p")
}

TEST_F(InfluxWriterTest, V2PostsToApiV2WriteWithOrgBucketAndToken) {
  ASSERT_EQ(writer(v2())->write(kBody, 2).kind, Kind::delivered);
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path(), "/api/v2/write");
  auto q = reqs[0].query();
  EXPECT_EQ(q["org"], "hợp tác xã");
  EXPECT_EQ(q["bucket"], "farm/raw");
  EXPECT_EQ(q["precision"], "ms");
  EXPECT_EQ(q.count("db"), 0u);
  EXPECT_EQ(reqs[0].header("authorization"), "Token s3cr3t==");
  EXPECT_EQ(reqs[0].body, kBody);
}

TEST_F(InfluxWriterTest, KeepsAPathPrefixOfTheBaseUrl) {
  auto c = v1();
  c.url = server_.url() + "/influx/";
  ASSERT_EQ(writer(c)->write(kBody, 2).kind, Kind::delivered);
  EXPECT_EQ(server_.requests().at(0).path(), "/influx/write");
}

TEST_F(InfluxWriterTest, GzipsTheBodyWhenConfigured) {
  auto c = v1();
  c.gzip = true;
  std::string big;
  for (int i = 0; i < 2000; ++i)
    big += "soil,device=d" + std::to_string(i) + " v=" + std::to_string(i) + " 1\n";
  ASSERT_EQ(writer(c)->write(big, 2000).kind, Kind::delivered);
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].header("content-encoding"), "gzip");
  EXPECT_LT(reqs[0].body.size(), big.size() / 4);
  EXPECT_EQ(testing::gunzip(reqs[0].body), big);
}

TEST_F(InfluxWriterTest, ReusesTheConnection) {
  auto w = writer(v1());
  for (int i = 0; i < 3; ++i) ASSERT_EQ(w->write(kBody, 2).kind, Kind::delivered);
  EXPECT_EQ(server_.requests().size(), 3u);
}

TEST_F(InfluxWriterTest, BadPointsAreRejectedWithTheServersError) {
  const auto o =
      answer({400, R"({"error":"partial write: points beyond retention policy dropped=2"})"});
  EXPECT_EQ(o.kind, Kind::reject);
  EXPECT_EQ(o.status, 400);
  EXPECT_EQ(o.error, "rejected");
  EXPECT_NE(o.message.find("points beyond retention policy dropped=2"), std::string::npos)
      << o.message;
  EXPECT_FALSE(o.misconfigured());
  EXPECT_EQ(answer({422, R"({"code":"unprocessable entity"})"}).kind, Kind::reject);
}

TEST_F(InfluxWriterTest, TooLargeIsARetryWithASmallerBatch) {
  const auto o = answer({413, "request entity too large"});
  EXPECT_EQ(o.kind, Kind::retry);
  EXPECT_TRUE(o.too_large());
  EXPECT_EQ(o.error, "too_large");
  EXPECT_FALSE(o.misconfigured());
}

TEST_F(InfluxWriterTest, ThrottlingHonoursRetryAfterSeconds) {
  const auto o = answer({429, "slow down", {{"Retry-After", "7"}}});
  EXPECT_EQ(o.kind, Kind::retry);
  EXPECT_EQ(o.error, "throttled");
  ASSERT_TRUE(o.retry_after.has_value());
  EXPECT_EQ(*o.retry_after, 7s);
}

TEST_F(InfluxWriterTest, UnavailableHonoursRetryAfterAsAnHttpDate) {
  // The FakeClock starts at 2026-01-01T00:00:00Z.
  const auto o = answer({503, "", {{"Retry-After", "Thu, 01 Jan 2026 00:01:30 GMT"}}});
  EXPECT_EQ(o.kind, Kind::retry);
  ASSERT_TRUE(o.retry_after.has_value());
  EXPECT_EQ(*o.retry_after, 90s);
  const auto past = answer({503, "", {{"Retry-After", "Wed, 31 Dec 2025 23:00:00 GMT"}}});
  ASSERT_TRUE(past.retry_after.has_value());
  EXPECT_EQ(*past.retry_after, 0s);
  EXPECT_FALSE(answer({503, "", {{"Retry-After", "soon"}}}).retry_after.has_value());
  EXPECT_FALSE(answer({503, ""}).retry_after.has_value());
}

TEST_F(InfluxWriterTest, ServerErrorsAreRetried) {
  const auto o = answer({500, "{\"error\":\"timeout\"}\n"});
  EXPECT_EQ(o.kind, Kind::retry);
  EXPECT_EQ(o.error, "server");
  EXPECT_FALSE(o.retry_after.has_value());
  EXPECT_NE(o.message.find("HTTP 500"), std::string::npos);
  EXPECT_EQ(answer({502, ""}).kind, Kind::retry);
}

TEST_F(InfluxWriterTest, CredentialAndDatabaseProblemsAreRetriedAndFlagged) {
  const auto auth = answer({401, R"({"error":"authorization failed"})"});
  EXPECT_EQ(auth.kind, Kind::retry);
  EXPECT_TRUE(auth.misconfigured());
  EXPECT_EQ(auth.error, "auth");
  EXPECT_NE(auth.message.find("authorization failed"), std::string::npos) << auth.message;
  EXPECT_NE(auth.message.find("username and password"), std::string::npos) << auth.message;

  const auto missing = answer({404, R"({"error":"database not found: \"farm\""})"});
  EXPECT_EQ(missing.kind, Kind::retry);
  EXPECT_TRUE(missing.misconfigured());
  EXPECT_EQ(missing.error, "not_found");
  EXPECT_NE(missing.message.find("database"), std::string::npos) << missing.message;

  server_.script({{403, ""}});
  const auto token = writer(v2())->write(kBody, 2);
  EXPECT_TRUE(token.misconfigured());
  EXPECT_NE(token.message.find("token"), std::string::npos) << token.message;
}

TEST_F(InfluxWriterTest, LongErrorBodiesAreTrimmedToOneLine) {
  const auto o = answer({400, "bad\r\n\tline " + std::string(10000, 'x')});
  EXPECT_LT(o.message.size(), 600u);
  EXPECT_EQ(o.message.find('\n'), std::string::npos);
  EXPECT_NE(o.message.find("bad line xxx"), std::string::npos) << o.message;
}

TEST_F(InfluxWriterTest, ConnectionRefusedIsARetry) {
  auto c = v1();
  c.url = "http://127.0.0.1:" + std::to_string(testing::free_port());
  const auto o = writer(c)->write(kBody, 2);
  EXPECT_EQ(o.kind, Kind::retry);
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.error, "connect");
  EXPECT_FALSE(o.misconfigured());
}

TEST_F(InfluxWriterTest, ASilentServerTimesOut) {
  server_.set_default(HttpResponse::hanging());
  auto c = v1();
  c.timeout = 300ms;
  const auto o = writer(c)->write(kBody, 2);
  EXPECT_EQ(o.kind, Kind::retry);
  EXPECT_EQ(o.error, "timeout");
}

TEST_F(InfluxWriterTest, CancelEndsAnInFlightRequestWithinAboutASecond) {
  server_.set_default(HttpResponse::hanging());
  auto c = v1();
  c.timeout = 60s;
  auto w = writer(c);
  auto pending = std::async(std::launch::async, [&] { return w->write(kBody, 2); });
  ASSERT_TRUE(server_.wait_for_requests(1));
  const auto t0 = std::chrono::steady_clock::now();
  w->cancel();
  ASSERT_EQ(pending.wait_for(5s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
  const auto o = pending.get();
  EXPECT_EQ(o.kind, Kind::retry);
  EXPECT_EQ(o.error, "cancelled");
  // And later writes return at once, sending nothing.
  EXPECT_EQ(w->write(kBody, 2).error, "cancelled");
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(InfluxWriterTest, EndpointHidesCredentials) {
  auto c = v1();
  c.url = "http://user:secret@127.0.0.1:" + std::to_string(server_.port());
  auto w = writer(c);
  EXPECT_EQ(w->endpoint().find("secret"), std::string::npos) << w->endpoint();
  server_.script({{500, ""}});
  EXPECT_EQ(w->write(kBody, 2).message.find("secret"), std::string::npos);
}

TEST_F(InfluxWriterTest, CreateRefusesAnIncompleteConfig) {
  auto no_url = v1();
  no_url.url.clear();
  EXPECT_FALSE(InfluxWriter::create(no_url, clock_).ok());
  auto no_db = v1();
  no_db.database.clear();
  EXPECT_FALSE(InfluxWriter::create(no_db, clock_).ok());
  auto no_bucket = v2();
  no_bucket.bucket.clear();
  EXPECT_FALSE(InfluxWriter::create(no_bucket, clock_).ok());
  auto ftp = v1();
  ftp.url = "ftp://127.0.0.1/";
  EXPECT_FALSE(InfluxWriter::create(ftp, clock_).ok());
  auto junk = v1();
  junk.url = "http://[::1";
  EXPECT_FALSE(InfluxWriter::create(junk, clock_).ok());
}

TEST(GzipTest, RoundTripsThroughZlib) {
  const std::string text = "Vườn bưởi\n" + std::string(100000, 'x');
  const auto z = gzip_compress(text);
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(static_cast<unsigned char>((*z)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>((*z)[1]), 0x8b);
  EXPECT_EQ(testing::gunzip(*z), text);
  EXPECT_EQ(testing::gunzip(gzip_compress("").value()), "");
}

}  // namespace
}  // namespace farmgate::uplink
