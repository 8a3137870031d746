#include "gateway/systemd_notify.h"

#include <gtest/gtest.h>

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace farmgate {
namespace {

using namespace std::chrono_literals;

// Plays systemd's side: a unix datagram socket in a fresh temporary directory, announced to the
// code under test through NOTIFY_SOCKET as systemd does.
class FakeSystemd {
 public:
  FakeSystemd() {
    char dir_template[] = "/tmp/farmgate-notify-XXXXXX";
    const char* made = ::mkdtemp(dir_template);
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = made;
    path_ = dir_ + "/notify";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("bind failed");
    }
  }
  ~FakeSystemd() {
    ::close(fd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  FakeSystemd(const FakeSystemd&) = delete;
  FakeSystemd& operator=(const FakeSystemd&) = delete;

  const std::string& path() const { return path_; }

  // The next datagram, or nullopt when none arrives within a generous second.
  std::optional<std::string> receive() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 1000) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

class SystemdNotifierTest : public ::testing::Test {
 protected:
  // The process environment is what libsystemd reads; leave it as found.
  void SetUp() override {
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) {
      if (const char* v = std::getenv(name)) saved_.emplace_back(name, v);
      ::unsetenv(name);
    }
  }
  void TearDown() override {
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) ::unsetenv(name);
    for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
  }

  std::vector<std::pair<std::string, std::string>> saved_;
  SystemdNotifier notifier_;
};

TEST_F(SystemdNotifierTest, EverythingIsANoOpWithoutSystemd) {
  EXPECT_FALSE(notifier_.ready());
  EXPECT_FALSE(notifier_.reloading());
  EXPECT_FALSE(notifier_.stopping());
  EXPECT_FALSE(notifier_.status("starting"));
  EXPECT_FALSE(notifier_.watchdog());
  EXPECT_EQ(notifier_.watchdog_interval(), std::nullopt);
}

TEST_F(SystemdNotifierTest, SendsLifecycleMessagesToNotifySocket) {
  FakeSystemd systemd;
  ::setenv("NOTIFY_SOCKET", systemd.path().c_str(), 1);
  EXPECT_TRUE(notifier_.ready());
  EXPECT_EQ(systemd.receive(), "READY=1");
  EXPECT_TRUE(notifier_.watchdog());
  EXPECT_EQ(systemd.receive(), "WATCHDOG=1");
  EXPECT_TRUE(notifier_.reloading());
  EXPECT_EQ(systemd.receive(), "RELOADING=1");
  EXPECT_TRUE(notifier_.stopping());
  EXPECT_EQ(systemd.receive(), "STOPPING=1");
  // NOTIFY_SOCKET stays set for later messages.
  EXPECT_NE(std::getenv("NOTIFY_SOCKET"), nullptr);
}

TEST_F(SystemdNotifierTest, StatusIsOneLine) {
  FakeSystemd systemd;
  ::setenv("NOTIFY_SOCKET", systemd.path().c_str(), 1);
  EXPECT_TRUE(notifier_.status("2 zones\nREADY=1"));
  EXPECT_EQ(systemd.receive(), "STATUS=2 zones READY=1");
}

TEST_F(SystemdNotifierTest, WatchdogIntervalIsHalfOfWatchdogUsec) {
  ::setenv("WATCHDOG_USEC", "30000000", 1);  // WatchdogSec=30
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_EQ(notifier_.watchdog_interval(), 15000ms);
  ::unsetenv("WATCHDOG_PID");  // systemd may leave the pid out
  EXPECT_EQ(notifier_.watchdog_interval(), 15000ms);
}

TEST_F(SystemdNotifierTest, WatchdogMeantForAnotherProcessIsOff) {
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  EXPECT_EQ(notifier_.watchdog_interval(), std::nullopt);
}

}  // namespace
}  // namespace farmgate
