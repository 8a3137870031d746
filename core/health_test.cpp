#include "core/health.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace farmgate {
namespace {

using Status = Health::Status;

TEST(HealthTest, NoComponentsIsUp) {
  Health h;
  EXPECT_EQ(h.overall(), Status::up);
  EXPECT_EQ(h.to_json(), R"({"status":"up","components":{}})");
}

TEST(HealthTest, OverallIsTheWorstComponent) {
  Health h;
  h.set("mqtt", Status::up, "connected");
  h.set("store", Status::up);
  EXPECT_EQ(h.overall(), Status::up);
  h.set("uplink/influx", Status::degraded, "retrying in 8 s");
  EXPECT_EQ(h.overall(), Status::degraded);
  h.set("store", Status::down, "disk full");
  EXPECT_EQ(h.overall(), Status::down);
  h.set("store", Status::up, "ok");
  EXPECT_EQ(h.overall(), Status::degraded);
  h.remove("uplink/influx");
  EXPECT_EQ(h.overall(), Status::up);
}

TEST(HealthTest, JsonListsComponentsSortedByName) {
  Health h;
  h.set("store", Status::up, "wal");
  h.set("mqtt", Status::degraded, "connected to tcp://127.0.0.1:1883");
  EXPECT_EQ(h.to_json(),
            R"({"status":"degraded","components":{)"
            R"("mqtt":{"status":"degraded","detail":"connected to tcp://127.0.0.1:1883"},)"
            R"("store":{"status":"up","detail":"wal"}}})");
}

TEST(HealthTest, SnapshotReturnsWhatWasSet) {
  Health h;
  h.set("b", Status::down, "x");
  h.set("a", Status::up);
  const std::vector<Health::Component> want{{"a", Status::up, ""}, {"b", Status::down, "x"}};
  EXPECT_EQ(h.snapshot(), want);
}

TEST(HealthTest, StringsAreEscaped) {
  std::string out;
  append_json_string(out, "a\"b\\c\nd\te\x01\x1f/");
  EXPECT_EQ(out, R"("a\"b\\c\nd\te\u0001\u001f/")");
}

TEST(HealthTest, VietnameseTextPassesThrough) {
  std::string out;
  append_json_string(out, "Mất kết nối máy bơm");
  EXPECT_EQ(out, "\"Mất kết nối máy bơm\"");
}

TEST(HealthTest, InvalidUtf8IsReplaced) {
  const std::string fffd = "\xEF\xBF\xBD";
  const auto enc = [](std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
  };
  EXPECT_EQ(enc("a\xFF"
                "b"),
            "\"a" + fffd + "b\"");
  EXPECT_EQ(enc("\xC0\xAF"), "\"" + fffd + fffd + "\"");                        // overlong '/'
  EXPECT_EQ(enc("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");             // a surrogate
  EXPECT_EQ(enc("\xE1\x80"), "\"" + fffd + fffd + "\"");                        // truncated
  EXPECT_EQ(enc("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
  EXPECT_EQ(enc("\xF0\x9F\x8C\xB1"), "\"\xF0\x9F\x8C\xB1\"");  // a 4-byte emoji stays
}

TEST(HealthTest, ConcurrentReportsAndReadsAreSafe) {
  Health h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 1000; ++i) {
        h.set("c" + std::to_string(t), i % 2 ? Status::up : Status::degraded, std::to_string(i));
        (void)h.to_json();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(h.snapshot().size(), 4u);
  EXPECT_EQ(h.overall(), Status::up);  // every thread ends on i = 999, odd: up
}

}  // namespace
}  // namespace farmgate
