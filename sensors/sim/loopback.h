// Small POSIX pieces shared by the simulator's two servers (probe_slave.h, snapshot_server.h):
// an owned file descriptor, a listening socket on 127.0.0.1 and the wake-up that stops a server
// thread blocked in poll(). Any thread; an Fd belongs to one owner.
#pragma once

#include <utility>

#include "core/result.h"

namespace farmgate::sim {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset();

 private:
  int fd_ = -1;
};

// The port a socket is bound to (0 if it cannot be told).
unsigned short bound_port(int fd);

// A TCP socket listening on 127.0.0.1:`port` (0: the kernel picks; see bound_port). Error code
// "listen" with the reason, e.g. the port is taken.
Result<Fd> listen_loopback(unsigned short port);

// An eventfd a server thread polls besides its sockets; signal() makes it readable for good.
class StopFlag {
 public:
  // Throws std::system_error if no eventfd can be made (start-up only).
  StopFlag();
  int fd() const { return fd_.get(); }
  void signal();

 private:
  Fd fd_;
};

}  // namespace farmgate::sim
