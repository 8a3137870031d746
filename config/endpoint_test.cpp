#include "config/endpoint.h"

#include <gtest/gtest.h>

namespace farmgate::config {
namespace {

TEST(ListenTest, ReadsHostAndPort) {
  auto hp = parse_listen("127.0.0.1:8080");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 8080);
  EXPECT_EQ(parse_listen("localhost:9000")->host, "localhost");
}

TEST(ListenTest, ReadsBracketedIPv6) {
  auto hp = parse_listen("[::1]:8080");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 8080);
  EXPECT_EQ(parse_listen("[::]:1")->host, "::");
}

TEST(ListenTest, EmptyHostMeansEveryIPv4Interface) {
  auto hp = parse_listen(":8080");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "0.0.0.0");
  EXPECT_EQ(hp->port, 8080);
}

TEST(ListenTest, RefusesWhatIsNotHostColonPort) {
  for (const char* bad :
       {"", "8080", "host", "host:", "host:0", "host:65536", "host:80x", "::1:8080", "[::1]",
        "[::1]8080", "[zz]:80", "[]:80", "a b:80", "[::1:80"}) {
    EXPECT_FALSE(parse_listen(bad)) << bad;
  }
  EXPECT_NE(parse_listen("8080").error().message.find("expected HOST:PORT"), std::string::npos);
  EXPECT_NE(parse_listen("::1:8080").error().message.find("brackets"), std::string::npos);
}

TEST(MqttUrlTest, ReadsEveryScheme) {
  for (const char* ok : {"tcp://127.0.0.1:1883", "ssl://broker.example:8883", "mqtt://b:1883",
                         "mqtts://b:8883", "ws://b:8080", "wss://b:443/mqtt", "tcp://[::1]:1883"}) {
    EXPECT_TRUE(parse_mqtt_url(ok)) << ok;
  }
  auto u = parse_mqtt_url("wss://broker.example:443/mqtt");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "wss");
  EXPECT_EQ(u->host, "broker.example");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/mqtt");
}

TEST(MqttUrlTest, NeedsSchemeHostAndPort) {
  EXPECT_NE(parse_mqtt_url("http://b:1883").error().message.find("scheme 'http'"),
            std::string::npos);
  EXPECT_NE(parse_mqtt_url("tcp://b").error().message.find("port"), std::string::npos);
  EXPECT_NE(parse_mqtt_url("tcp://:1883").error().message.find("no host"), std::string::npos);
  for (const char* bad : {"", "127.0.0.1:1883", "tcp:/b:1883", "tcp://b:0", "tcp://b:1883/x",
                          "ws://b:80?x=1", "TCP://b:1883"}) {
    EXPECT_FALSE(parse_mqtt_url(bad)) << bad;
  }
}

TEST(MqttUrlTest, RefusesCredentialsWithoutEchoingThem) {
  auto r = parse_mqtt_url("tcp://user:s3cret@b:1883");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find("s3cret"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("username and password"), std::string::npos);
}

TEST(HttpUrlTest, ReadsHostOptionalPortAndPathPrefix) {
  auto u = parse_http_url("http://influx.example:8086");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "influx.example");
  EXPECT_EQ(u->port, 8086);
  EXPECT_EQ(u->path, "");
  auto v = parse_http_url("https://coop.example/influx/");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->scheme, "https");
  EXPECT_EQ(v->port, 0);
  EXPECT_EQ(v->path, "/influx/");
}

TEST(HttpUrlTest, RefusesOtherSchemesMissingHostsQueriesAndCredentials) {
  for (const char* bad :
       {"", "influx:8086", "ftp://h", "tcp://h:8086", "http://", "http://:8086", "http://h:99999",
        "http://h/write?db=x", "http://h#x", "http://u:p@h:8086"}) {
    EXPECT_FALSE(parse_http_url(bad)) << bad;
  }
}

}  // namespace
}  // namespace farmgate::config
