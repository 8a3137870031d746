#include "actuators/modbus_coil.h"

#include <modbus/modbus.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <utility>

namespace farmgate::actuators {
namespace {

struct ContextFree {
  void operator()(modbus_t* ctx) const {
    modbus_close(ctx);
    modbus_free(ctx);
  }
};
using ContextPtr = std::unique_ptr<modbus_t, ContextFree>;

std::string describe(const config::ModbusCoilConfig& c) {
  return "coil " + std::to_string(c.coil) + " of slave " + std::to_string(c.slave) + " at " +
         (c.tcp() ? c.host + ":" + std::to_string(c.port) : c.device);
}

// An exception response (illegal address, slave busy) comes over a healthy connection.
bool is_exception(int err) {
  return err > MODBUS_ENOBASE && err <= MODBUS_ENOBASE + MODBUS_EXCEPTION_GATEWAY_TARGET;
}

}  // namespace

class ModbusCoil::Link {
 public:
  static Result<std::unique_ptr<Link>> open(const config::ModbusCoilConfig& c) {
    // The _pi variant resolves host names; the plain one takes only an IPv4 address.
    ContextPtr ctx(
        c.tcp() ? modbus_new_tcp_pi(c.host.c_str(), std::to_string(c.port).c_str())
                : modbus_new_rtu(c.device.c_str(), c.baud, c.parity, c.data_bits, c.stop_bits));
    if (!ctx) {
      return make_error("modbus_open", describe(c) + ": " + modbus_strerror(errno));
    }
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(c.timeout).count();
    if (modbus_set_slave(ctx.get(), c.slave) != 0 ||
        modbus_set_response_timeout(ctx.get(), static_cast<std::uint32_t>(us / 1'000'000),
                                    static_cast<std::uint32_t>(us % 1'000'000)) != 0) {
      return make_error("modbus_open", describe(c) + ": " + modbus_strerror(errno));
    }
    return std::unique_ptr<Link>(new Link(c, std::move(ctx)));
  }

  // Writes the coil and reads it back, retrying on a fresh connection, within
  // timeout * (retries + 1) — each attempt is bounded by the response timeout.
  Result<void> command(bool on) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + config_.timeout * (config_.retries + 1);
    std::string why;
    int attempts = 0;
    do {
      ++attempts;
      auto r = attempt(on);
      if (r) return {};
      why = r.error().message;
    } while (attempts <= config_.retries && Clock::now() < deadline);
    return make_error("modbus", describe(config_) + ": " + (on ? "ON" : "OFF") +
                                    " not confirmed after " + std::to_string(attempts) +
                                    (attempts == 1 ? " attempt: " : " attempts: ") + why);
  }

 private:
  Link(const config::ModbusCoilConfig& c, ContextPtr ctx) : config_(c), ctx_(std::move(ctx)) {}

  Result<void> attempt(bool on) {
    if (!connected_) {
      if (modbus_connect(ctx_.get()) != 0) return failure("connect");
      connected_ = true;
    }
    if (modbus_write_bit(ctx_.get(), static_cast<int>(config_.coil), on ? 1 : 0) != 1) {
      return failure("write");
    }
    std::uint8_t bit = 0;
    if (modbus_read_bits(ctx_.get(), static_cast<int>(config_.coil), 1, &bit) != 1) {
      return failure("read back");
    }
    if ((bit != 0) != on) {
      return make_error("modbus_readback",
                        std::string("the coil reads ") + (bit ? "ON" : "OFF") + " after the write");
    }
    return {};
  }

  // After a timeout or a broken link the stream may hold a late answer: start over on a new
  // connection rather than read it as the answer to the next request.
  Error failure(const char* step) {
    const int err = errno;
    if (!is_exception(err)) {
      modbus_close(ctx_.get());
      connected_ = false;
    }
    return make_error("modbus", std::string(step) + ": " + modbus_strerror(err));
  }

  const config::ModbusCoilConfig config_;
  ContextPtr ctx_;
  bool connected_ = false;
};

ModbusCoil::ModbusCoil(std::string id, const config::DriverConfig& config, Scheduler& scheduler)
    : id_(std::move(id)), config_(config.modbus), scheduler_(scheduler) {}

ModbusCoil::~ModbusCoil() {
  stop();
}

Result<void> ModbusCoil::start(Listener listener) {
  auto link = Link::open(config_);
  if (!link) return link.error();
  link_ = std::move(link).value();
  listener_ = std::move(listener);
  worker_ = std::thread([this] { work(); });
  return {};
}

void ModbusCoil::set(bool on, Millis /*auto_off: see the header*/) {
  if (!*alive_ || !worker_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    command_ = on;
  }
  wake_.notify_one();
}

void ModbusCoil::stop() {
  *alive_ = false;
  listener_ = nullptr;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (worker_.joinable()) worker_.join();
  link_.reset();
}

void ModbusCoil::work() {
  for (;;) {
    bool on;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return command_.has_value() || stopping_; });
      if (!command_) return;  // stopping, and nothing left to send
      on = *command_;
      command_.reset();
    }
    const auto result = link_->command(on);
    DriverReport report{result ? DriverReport::Kind::confirmed : DriverReport::Kind::failed, on,
                        result ? std::string() : result.error().message};
    std::weak_ptr<bool> alive = alive_;
    scheduler_.post([this, alive, report = std::move(report)] {
      if (auto a = alive.lock(); a && *a && listener_) listener_(report);
    });
  }
}

Result<void> ModbusCoil::drive_off(const config::ModbusCoilConfig& config) {
  auto link = Link::open(config);
  if (!link) return link.error();
  return (*link)->command(false);
}

}  // namespace farmgate::actuators
