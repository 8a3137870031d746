#include "gateway/http/api/sse_hub.h"

#include <gtest/gtest.h>

#include <string>

namespace farmgate::http::api {
namespace {

class FakeWriter final : public StreamWriter {
 public:
  bool write(std::string_view bytes) override {
    if (!open) return false;
    out += bytes;
    return true;
  }
  bool is_open() const override { return open; }
  void close() override { open = false; }
  bool open = true;
  std::string out;
};

TEST(SseHubTest, FormatsEventsAndSplitsMultilineData) {
  EXPECT_EQ(SseHub::format("zone", R"({"id":"z1"})"), "event: zone\ndata: {\"id\":\"z1\"}\n\n");
  EXPECT_EQ(SseHub::format("run", "a\r\nb"), "event: run\ndata: a\ndata: b\n\n");
}

TEST(SseHubTest, ForgetsClosedSubscribersAndKeepsTheOthers) {
  SseHub hub;
  auto a = std::make_shared<FakeWriter>();
  auto b = std::make_shared<FakeWriter>();
  hub.add(a);
  hub.add(b);
  hub.publish("alarm", "{}");
  b->open = false;
  hub.ping();
  EXPECT_EQ(hub.subscribers(), 1u);
  EXPECT_EQ(a->out, "event: alarm\ndata: {}\n\n: ping\n\n");
  EXPECT_EQ(b->out, "event: alarm\ndata: {}\n\n");
  hub.close_all();
  EXPECT_FALSE(a->open);
  EXPECT_EQ(hub.subscribers(), 0u);
}

}  // namespace
}  // namespace farmgate::http::api
