#include "sensors/sim/snapshot_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>

#include "sensors/camera/canopy.h"
#include "sensors/sim/field_picture.h"

namespace farmgate::sim {
namespace {

struct Response {
  int status = 0;
  std::string head;
  std::string body;
};

// `req` sent over a fresh connection, the answer read to the server's close.
Response send_request(unsigned short port, const std::string& req) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  if (::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    return {};
  }
  std::string all;
  char buf[16384];
  for (ssize_t n; (n = ::recv(fd.get(), buf, sizeof buf, 0)) > 0;) all.append(buf, n);
  Response r;
  const auto end = all.find("\r\n\r\n");
  if (end == std::string::npos || all.size() < 12) return r;
  r.head = all.substr(0, end);
  r.body = all.substr(end + 4);
  r.status = std::stoi(all.substr(9, 3));
  return r;
}

Response request(unsigned short port, const std::string& method, const std::string& target) {
  return send_request(
      port, method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n");
}

TEST(SnapshotZoneTest, TakesTheZoneOutOfTheSnapshotPath) {
  EXPECT_EQ(snapshot_zone("/snapshot/z1.jpg"), "z1");
  EXPECT_EQ(snapshot_zone("/snapshot/z2.jpg?t=123"), "z2");
  EXPECT_EQ(snapshot_zone("/snapshot/.jpg"), std::nullopt);
  EXPECT_EQ(snapshot_zone("/snapshot/a/b.jpg"), std::nullopt);
  EXPECT_EQ(snapshot_zone("/snapshot/z1.png"), std::nullopt);
  EXPECT_EQ(snapshot_zone("/other/z1.jpg"), std::nullopt);
}

class SnapshotServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SnapshotServer::start(0, [this](std::string_view zone) {
      ++renders_;
      return zone == "z1" ? std::optional(field_jpeg(640, 360, 55, 1)) : std::nullopt;
    });
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
  }

  std::atomic<int> renders_{0};
  std::unique_ptr<SnapshotServer> server_;
};

TEST_F(SnapshotServerTest, ServesTheZonesPictureAsAJpeg) {
  const Response r = request(server_->port(), "GET", "/snapshot/z1.jpg");
  ASSERT_EQ(r.status, 200) << r.head;
  EXPECT_NE(r.head.find("Content-Type: image/jpeg"), std::string::npos);
  EXPECT_NE(r.head.find("Content-Length: " + std::to_string(r.body.size())), std::string::npos);
  sensors::camera::CanopyOptions options;
  options.min_analysis_width = 0;
  auto image = sensors::camera::analyse_jpeg(
      {reinterpret_cast<const std::uint8_t*>(r.body.data()), r.body.size()}, options);
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->width, 640);
  EXPECT_EQ(image->height, 360);
  EXPECT_NEAR(image->cover_percent, 55, 2.0);
}

TEST_F(SnapshotServerTest, EachRequestDrawsAFreshPicture) {
  EXPECT_EQ(request(server_->port(), "GET", "/snapshot/z1.jpg").status, 200);
  EXPECT_EQ(request(server_->port(), "GET", "/snapshot/z1.jpg?again").status, 200);
  EXPECT_EQ(renders_.load(), 2);
}

TEST_F(SnapshotServerTest, RefusesUnknownZonesPathsAndMethods) {
  EXPECT_EQ(request(server_->port(), "GET", "/snapshot/z9.jpg").status, 404);
  EXPECT_EQ(request(server_->port(), "GET", "/").status, 404);
  EXPECT_EQ(request(server_->port(), "POST", "/snapshot/z1.jpg").status, 405);
}

TEST_F(SnapshotServerTest, AGarbledRequestGetsA400AndTheServerGoesOn) {
  EXPECT_EQ(send_request(server_->port(), "garbage\r\n\r\n").status, 400);
  EXPECT_EQ(request(server_->port(), "GET", "/snapshot/z1.jpg").status, 200);
}

}  // namespace
}  // namespace farmgate::sim
