#include "sensors/sim/snapshot_server.h"

#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <string>

namespace farmgate::sim {
namespace {

using std::chrono::steady_clock;

// A request head larger than this is not a camera client's.
constexpr std::size_t kMaxHead = 8 * 1024;
// A client that has not sent its request by then is dropped, so the next one gets its turn.
constexpr std::chrono::seconds kRequestTimeout{2};

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void send_response(int fd, std::string_view status, std::string_view type, std::string_view body) {
  std::string head = "HTTP/1.1 ";
  head += status;
  head += "\r\nContent-Type: ";
  head += type;
  head += "\r\nContent-Length: " + std::to_string(body.size());
  head += "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
  if (send_all(fd, head)) send_all(fd, body);
}

}  // namespace

std::optional<std::string> snapshot_zone(std::string_view target) {
  target = target.substr(0, target.find('?'));
  constexpr std::string_view prefix = "/snapshot/";
  constexpr std::string_view suffix = ".jpg";
  if (!target.starts_with(prefix) || !target.ends_with(suffix)) return std::nullopt;
  target.remove_prefix(prefix.size());
  target.remove_suffix(suffix.size());
  if (target.empty() || target.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(target);
}

Result<std::unique_ptr<SnapshotServer>> SnapshotServer::start(unsigned short port, Render render) {
  auto listener = listen_loopback(port);
  if (!listener) return listener.error();
  return std::unique_ptr<SnapshotServer>(
      new SnapshotServer(std::move(listener).value(), std::move(render)));
}

SnapshotServer::SnapshotServer(Fd listener, Render render)
    : listener_(std::move(listener)),
      port_(bound_port(listener_.get())),
      render_(std::move(render)),
      thread_([this] { serve(); }) {}

SnapshotServer::~SnapshotServer() {
  stop_.signal();
  thread_.join();
}

void SnapshotServer::serve() {
  for (;;) {
    pollfd fds[2] = {{stop_.fd(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[0].revents != 0) return;
    Fd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (client.valid()) answer(client.get());
  }
}

std::optional<std::string> SnapshotServer::read_head(int client) {
  std::string head;
  const auto deadline = steady_clock::now() + kRequestTimeout;
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() > kMaxHead) return std::nullopt;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd fds[2] = {{stop_.fd(), POLLIN, 0}, {client, POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    if (fds[0].revents != 0) return std::nullopt;
    char buf[2048];
    const auto n = ::recv(client, buf, sizeof buf, 0);
    if (n <= 0) return std::nullopt;
    head.append(buf, static_cast<std::size_t>(n));
  }
  return head;
}

void SnapshotServer::answer(int client) {
  const auto head = read_head(client);
  if (!head) return;
  // Request line: METHOD SP TARGET SP VERSION
  const std::string_view line = std::string_view(*head).substr(0, head->find("\r\n"));
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    return send_response(client, "400 Bad Request", "text/plain", "bad request\n");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (method != "GET") {
    return send_response(client, "405 Method Not Allowed", "text/plain", "GET only\n");
  }
  const auto zone = snapshot_zone(target);
  const auto jpeg = zone ? render_(*zone) : std::nullopt;
  if (!jpeg) {
    return send_response(client, "404 Not Found", "text/plain",
                         "no such snapshot; try /snapshot/<zone>.jpg\n");
  }
  send_response(client, "200 OK", "image/jpeg",
                std::string_view(reinterpret_cast<const char*>(jpeg->data()), jpeg->size()));
}

}  // namespace farmgate::sim
