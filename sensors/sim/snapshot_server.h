// SnapshotServer: the simulator's IP camera. A small HTTP/1.1 server on 127.0.0.1 that answers
// GET /snapshot/<zone>.jpg with a JPEG from `render` (any query string is ignored), as a cheap
// camera's snapshot URL does; 404 for an unknown path or zone, 405 for another method, 400 for a
// request it cannot read. No authentication. One connection at a time, closed after the answer
// (Connection: close), on a thread of its own: `render` runs there, so it must be thread-safe.
//
// Construct through start(); the destructor stops the thread (a request in progress is cut).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.h"
#include "sensors/sim/loopback.h"

namespace farmgate::sim {

class SnapshotServer {
 public:
  // The picture of `zone`, or nothing for a zone the farm does not have.
  using Render = std::function<std::optional<std::vector<std::uint8_t>>(std::string_view zone)>;

  // Listens on 127.0.0.1:`port` (0: the kernel picks; see port()). Error code "listen".
  static Result<std::unique_ptr<SnapshotServer>> start(unsigned short port, Render render);

  ~SnapshotServer();
  SnapshotServer(const SnapshotServer&) = delete;
  SnapshotServer& operator=(const SnapshotServer&) = delete;

  unsigned short port() const { return port_; }

 private:
  SnapshotServer(Fd listener, Render render);
  void serve();
  void answer(int client);
  // The request head (up to the blank line), or nothing on a timeout, a stop or a closed socket.
  std::optional<std::string> read_head(int client);

  Fd listener_;
  unsigned short port_ = 0;
  Render render_;
  StopFlag stop_;
  std::thread thread_;  // last: it starts once everything above exists
};

// The zone in a snapshot path, e.g. "/snapshot/z1.jpg?x=1" -> "z1"; nothing for another path.
std::optional<std::string> snapshot_zone(std::string_view target);

}  // namespace farmgate::sim
