// Test support for the Modbus sources: a libmodbus slave with holding and input registers, in a
// thread of the test (or of the benchmark), answering for any number of unit ids on TCP
// (127.0.0.1, a port of its own kept across stop()/start()) or for one slave on a serial line
// (one end of a socat pty pair, see actuators/modbus_test_support.h). A unit can be told to go
// silent, which is how a dead probe looks from the master. Test code only.
#pragma once

#include <modbus/modbus.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "actuators/modbus_test_support.h"

namespace farmgate::sensors::modbus::testing {

using actuators::testing::Fd;
using actuators::testing::on_path;
using actuators::testing::SocatPtyPair;

class RegisterSlave {
 public:
  static constexpr int kRegisters = 256;  // addresses 0..255 of each table

  // TCP on loopback; the kernel picks the port at the first start().
  RegisterSlave() = default;
  // RTU on `device`, answering as `slave`.
  RegisterSlave(std::string device, int slave) : device_(std::move(device)), rtu_slave_(slave) {}
  ~RegisterSlave() { stop(); }
  RegisterSlave(const RegisterSlave&) = delete;
  RegisterSlave& operator=(const RegisterSlave&) = delete;

  // A unit answers once it has a register set; until then it is silent, like an absent device.
  void set_holding(int unit, int address, std::uint16_t value) {
    std::lock_guard lock(mutex_);
    map_of(unit)->tab_registers[address] = value;
  }
  void set_input(int unit, int address, std::uint16_t value) {
    std::lock_guard lock(mutex_);
    map_of(unit)->tab_input_registers[address] = value;
  }
  void set_silent(int unit, bool silent) {
    std::lock_guard lock(mutex_);
    silent_[unit] = silent;
  }
  int requests(int unit) {
    std::lock_guard lock(mutex_);
    return requests_[unit];
  }
  unsigned short port() const { return port_; }

  void start() {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    stop_read_ = Fd(pipe_fds[0]);
    stop_write_ = Fd(pipe_fds[1]);
    if (device_.empty()) {
      listen_tcp();
      ctx_.reset(modbus_new_tcp("127.0.0.1", port_));
    } else {
      ctx_.reset(modbus_new_rtu(device_.c_str(), 9600, 'N', 8, 1));
      if (!ctx_ || modbus_set_slave(ctx_.get(), rtu_slave_) != 0 ||
          modbus_connect(ctx_.get()) != 0) {
        throw std::runtime_error("cannot open " + device_ + ": " + modbus_strerror(errno));
      }
    }
    thread_ = std::thread([this] { serve(); });
  }

  // Closes every socket (clients see the connection drop) and joins the thread.
  void stop() {
    if (!thread_.joinable()) return;
    (void)!::write(stop_write_.get(), "x", 1);
    thread_.join();
    clients_.clear();
    listener_.reset();
    if (ctx_ && !device_.empty()) modbus_close(ctx_.get());
    ctx_.reset();
  }

 private:
  struct FreeContext {
    void operator()(modbus_t* ctx) const { modbus_free(ctx); }
  };
  struct FreeMapping {
    void operator()(modbus_mapping_t* m) const { modbus_mapping_free(m); }
  };

  modbus_mapping_t* map_of(int unit) {
    auto& m = maps_[unit];
    if (!m) m.reset(modbus_mapping_new(0, 0, kRegisters, kRegisters));
    return m.get();
  }

  void listen_tcp() {
    listener_ = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const int yes = 1;
    ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_.get(), 8) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port_));
    }
    socklen_t len = sizeof addr;
    ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }

  void serve() {
    std::vector<std::uint8_t> query(MODBUS_MAX_ADU_LENGTH);
    const int header = modbus_get_header_length(ctx_.get());
    for (;;) {
      std::vector<pollfd> fds{{stop_read_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
      if (device_.empty()) {
        for (const Fd& c : clients_) fds.push_back({c.get(), POLLIN, 0});
      } else {
        fds.push_back({modbus_get_socket(ctx_.get()), POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[0].revents != 0) return;
      if (fds[1].revents != 0) {
        clients_.emplace_back(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        continue;
      }
      for (std::size_t i = 2; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        if (device_.empty()) modbus_set_socket(ctx_.get(), fds[i].fd);
        const int n = modbus_receive(ctx_.get(), query.data());
        if (n < 0) {
          if (device_.empty()) {
            std::erase_if(clients_, [&](const Fd& c) { return c.get() == fds[i].fd; });
          } else {
            modbus_flush(ctx_.get());  // a garbled frame: start afresh
          }
          break;  // the descriptors changed: poll again
        }
        if (n == 0) continue;  // RTU: addressed to another slave
        const int unit = query[header - 1];
        std::lock_guard lock(mutex_);
        ++requests_[unit];
        auto m = maps_.find(unit);
        if (m == maps_.end() || silent_[unit]) continue;
        modbus_reply(ctx_.get(), query.data(), n, m->second.get());
      }
    }
  }

  std::string device_;
  int rtu_slave_ = 1;
  unsigned short port_ = 0;
  std::mutex mutex_;
  std::map<int, std::unique_ptr<modbus_mapping_t, FreeMapping>> maps_;
  std::map<int, bool> silent_;
  std::map<int, int> requests_;
  std::unique_ptr<modbus_t, FreeContext> ctx_;
  Fd listener_;
  std::vector<Fd> clients_;
  Fd stop_read_;
  Fd stop_write_;
  std::thread thread_;
};

}  // namespace farmgate::sensors::modbus::testing
