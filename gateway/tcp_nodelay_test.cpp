#include "gateway/tcp_nodelay.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace farmgate::gateway {
namespace {

TEST(MqttUrlPortTest, ReadsThePortOrTheSchemesDefault) {
  EXPECT_EQ(mqtt_url_port("tcp://127.0.0.1:18830"), 18830);
  EXPECT_EQ(mqtt_url_port("tcp://broker.local"), 1883);
  EXPECT_EQ(mqtt_url_port("mqtts://broker.local/"), 8883);
  EXPECT_EQ(mqtt_url_port("ssl://[::1]:9883"), 9883);
  EXPECT_EQ(mqtt_url_port("ssl://[::1]"), 8883);
  EXPECT_EQ(mqtt_url_port("ws://broker.local/mqtt"), 0);
  EXPECT_EQ(mqtt_url_port("tcp://h:12x"), 0);
}

int nodelay(int fd) {
  int v = -1;
  socklen_t len = sizeof v;
  getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len);
  return v;
}

TEST(TcpNodelayTest, SetsItOnTheSocketsConnectedToThatPortOnly) {
  const int server = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(server, 4), 0);
  socklen_t len = sizeof addr;
  getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const int accepted = accept(server, nullptr, nullptr);
  ASSERT_GE(accepted, 0);
  EXPECT_EQ(nodelay(client), 0);
  EXPECT_EQ(set_tcp_nodelay_to_port(port), 1) << "the accepted end's peer is another port";
  EXPECT_NE(nodelay(client), 0);
  EXPECT_EQ(nodelay(accepted), 0);
  EXPECT_EQ(set_tcp_nodelay_to_port(0), 0);
  close(accepted);
  close(client);
  close(server);
}

}  // namespace
}  // namespace farmgate::gateway
