#include "sensors/modbus/link.h"

#include <cerrno>
#include <chrono>

namespace farmgate::sensors::modbus {
namespace {

Error failure(int err, const std::string& what) {
  const std::string why = what + ": " + modbus_strerror(err);
  if (err == ETIMEDOUT) return make_error("timeout", why);
  if (err >= EMBXILFUN && err <= EMBXGTAR) return make_error("exception", why);
  if (err == EMBBADCRC || err == EMBBADDATA || err == EMBBADEXC || err == EMBUNKEXC ||
      err == EMBMDATA || err == EMBBADSLAVE) {
    return make_error("bad_frame", why);
  }
  return make_error("link", why);
}

void set_timeout(modbus_t* ctx, Millis t, int (*set)(modbus_t*, uint32_t, uint32_t)) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t).count();
  set(ctx, static_cast<uint32_t>(us / 1'000'000), static_cast<uint32_t>(us % 1'000'000));
}

}  // namespace

void ModbusLink::Free::operator()(modbus_t* ctx) const {
  modbus_close(ctx);
  modbus_free(ctx);
}

ModbusLink::ModbusLink(const config::ModbusSource& source) : source_(source) {
  if (source.tcp()) {
    description_ = "tcp://" + source.host + ":" + std::to_string(source.tcp_port);
  } else {
    description_ = source.port + " " + std::to_string(source.baud) + " " +
                   std::to_string(source.data_bits) + source.parity +
                   std::to_string(source.stop_bits);
  }
}

Result<void> ModbusLink::connect() {
  close();
  modbus_t* raw = nullptr;
  if (source_.tcp()) {
    // modbus_new_tcp_pi resolves names; modbus_new_tcp takes only a dotted IPv4 address.
    const std::string service = std::to_string(source_.tcp_port);
    raw = modbus_new_tcp_pi(source_.host.c_str(), service.c_str());
  } else {
    raw = modbus_new_rtu(source_.port.c_str(), source_.baud, source_.parity, source_.data_bits,
                         source_.stop_bits);
  }
  if (raw == nullptr) return failure(errno, "cannot set up " + description_);
  std::unique_ptr<modbus_t, Free> ctx(raw);
  set_timeout(ctx.get(), source_.timeout, &modbus_set_response_timeout);
  // Between two bytes of one frame: at 1200 baud a byte takes ~9 ms, so 100 ms means "gone".
  set_timeout(ctx.get(), std::min(source_.timeout, Millis{100}), &modbus_set_byte_timeout);
  // Recovery is ours: libmodbus's own would sleep and reconnect inside a read, unbounded.
  modbus_set_error_recovery(ctx.get(), MODBUS_ERROR_RECOVERY_NONE);
  if (modbus_connect(ctx.get()) != 0) {
    const int err = errno;
    return make_error("link", "cannot open " + description_ + ": " + modbus_strerror(err));
  }
  ctx_ = std::move(ctx);
  return {};
}

void ModbusLink::close() {
  ctx_.reset();
}

Result<void> ModbusLink::read(int slave, const ReadBlock& block, std::vector<std::uint16_t>& out) {
  if (!ctx_) return make_error("link", description_ + " is not open");
  if (modbus_set_slave(ctx_.get(), slave) != 0) {
    return make_error("link", "slave " + std::to_string(slave) + " refused by libmodbus");
  }
  out.resize(block.count);
  const int addr = static_cast<int>(block.address);
  const int n = static_cast<int>(block.count);
  const int got = block.table == config::ModbusTable::holding
                      ? modbus_read_registers(ctx_.get(), addr, n, out.data())
                      : modbus_read_input_registers(ctx_.get(), addr, n, out.data());
  if (got < 0) {
    const int err = errno;
    return failure(err, std::string("reading ") + config::to_string(block.table) + " " +
                            std::to_string(block.address) + "+" + std::to_string(block.count) +
                            " of slave " + std::to_string(slave));
  }
  if (got != n) {
    return make_error("bad_frame", "slave " + std::to_string(slave) + " returned " +
                                       std::to_string(got) + " registers for " + std::to_string(n));
  }
  return {};
}

void ModbusLink::flush() {
  if (ctx_) modbus_flush(ctx_.get());
}

}  // namespace farmgate::sensors::modbus
