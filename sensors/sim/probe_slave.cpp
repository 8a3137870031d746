#include "sensors/sim/probe_slave.h"

#include <modbus/modbus.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace farmgate::sim {
namespace {

struct FreeContext {
  void operator()(modbus_t* ctx) const { modbus_free(ctx); }
};
struct FreeMapping {
  void operator()(modbus_mapping_t* m) const { modbus_mapping_free(m); }
};

std::uint16_t unsigned_register(double value, double step) {
  const double raw = std::round(value / step);
  return static_cast<std::uint16_t>(std::clamp(raw, 0.0, 65535.0));
}

std::uint16_t signed_register(double value, double step) {
  const double raw = std::clamp(std::round(value / step), -32768.0, 32767.0);
  return static_cast<std::uint16_t>(static_cast<std::int16_t>(raw));  // two's complement
}

}  // namespace

ProbeReading probe_reading(const SoilSample& soil) {
  ProbeReading r;
  r.moisture = soil.moisture;
  r.temp_c = soil.temp_c;
  r.ec = soil.ec;
  // Wetter soil reads a little more acidic on these probes; 6.0..6.6 over the usual range.
  r.ph = std::clamp(6.6 - 0.015 * (soil.moisture - 20), 5.5, 7.5);
  const double us_cm = soil.ec * 1000;
  r.nitrogen = us_cm * 0.06;  // 0.8 mS/cm: 48 mg/kg
  r.phosphorus = us_cm * 0.025;
  r.potassium = us_cm * 0.12;
  return r;
}

ProbeRegisters soil7_registers(const ProbeReading& r) {
  return {unsigned_register(r.moisture, 0.1), signed_register(r.temp_c, 0.1),
          unsigned_register(r.ec, 0.001),     unsigned_register(r.ph, 0.1),
          unsigned_register(r.nitrogen, 1),   unsigned_register(r.phosphorus, 1),
          unsigned_register(r.potassium, 1)};
}

Result<std::unique_ptr<ProbeSlave>> ProbeSlave::start(unsigned short port, int unit, Read read) {
  auto listener = listen_loopback(port);
  if (!listener) return listener.error();
  return std::unique_ptr<ProbeSlave>(
      new ProbeSlave(std::move(listener).value(), unit, std::move(read)));
}

ProbeSlave::ProbeSlave(Fd listener, int unit, Read read)
    : listener_(std::move(listener)),
      port_(bound_port(listener_.get())),
      unit_(unit),
      read_(std::move(read)),
      thread_([this] { serve(); }) {}

ProbeSlave::~ProbeSlave() {
  stop_.signal();
  thread_.join();
}

void ProbeSlave::serve() {
  // The context only frames and answers requests; the sockets are ours (see below).
  std::unique_ptr<modbus_t, FreeContext> ctx(modbus_new_tcp("127.0.0.1", port_));
  std::unique_ptr<modbus_mapping_t, FreeMapping> map(modbus_mapping_new(0, 0, kProbeRegisters, 0));
  if (!ctx || !map) return;  // out of memory: the probe stays silent
  // A client that sends half a frame must not hold the other clients up for long.
  modbus_set_indication_timeout(ctx.get(), 1, 0);
  const int header = modbus_get_header_length(ctx.get());
  std::vector<std::uint8_t> query(MODBUS_MAX_ADU_LENGTH);
  std::vector<Fd> clients;
  for (;;) {
    std::vector<pollfd> fds{{stop_.fd(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
    for (const Fd& c : clients) fds.push_back({c.get(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR
    if (fds[0].revents != 0) break;
    if (fds[1].revents != 0) {
      Fd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (client.valid()) clients.push_back(std::move(client));
      continue;
    }
    for (std::size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      // libmodbus reads and writes whichever socket the context holds; we point it at the
      // client that spoke. modbus_tcp_accept would instead keep only the newest client.
      modbus_set_socket(ctx.get(), fds[i].fd);
      const int n = modbus_receive(ctx.get(), query.data());
      if (n < 0) {  // the client left, or sent garbage: drop it
        std::erase_if(clients, [&](const Fd& c) { return c.get() == fds[i].fd; });
        break;  // the descriptors changed: poll again
      }
      if (n == 0 || query[header - 1] != unit_) continue;
      const ProbeRegisters regs = read_();
      std::copy(regs.begin(), regs.end(), map->tab_registers);
      modbus_reply(ctx.get(), query.data(), n, map.get());
    }
  }
  // The context must not close a socket it does not own when freed.
  modbus_set_socket(ctx.get(), -1);
}

}  // namespace farmgate::sim
