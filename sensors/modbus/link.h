// ModbusLink: one libmodbus master context on a serial port (RTU) or a TCP endpoint, owned
// (RAII) by the one thread that polls the bus. Knows nothing of devices or metrics: it connects,
// reads a block of registers from a slave, and says how a read failed.
//
// Failure codes (Error::code, also the request_errors metric label):
//   link       the port or connection is gone or cannot be opened; close() and reconnect
//   timeout    no (complete) answer within the response timeout
//   exception  the slave answered with a Modbus exception (e.g. illegal data address)
//   bad_frame  an answer that does not fit the request (CRC, length, wrong slave or transaction)
//
// Not thread-safe: one thread owns a link. Every blocking call is bounded by the response
// timeout (plus libmodbus's byte timeout while a frame arrives).
#pragma once

#include <modbus/modbus.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/modbus_config.h"
#include "core/result.h"
#include "sensors/modbus/registers.h"

namespace farmgate::sensors::modbus {

class ModbusLink {
 public:
  // No I/O: connect() opens the port or the connection.
  explicit ModbusLink(const config::ModbusSource& source);

  Result<void> connect();
  void close();
  bool connected() const { return ctx_ != nullptr; }

  // One attempt at one read; `out` gets block.count words.
  Result<void> read(int slave, const ReadBlock& block, std::vector<std::uint16_t>& out);

  // Drops whatever the line still holds (a late answer), so that it is not taken for the answer
  // to the next request.
  void flush();

  // "tcp://127.0.0.1:502" or "/dev/ttyUSB0 9600 8N1", for messages.
  const std::string& describe() const { return description_; }

 private:
  struct Free {
    void operator()(modbus_t* ctx) const;
  };

  const config::ModbusSource& source_;
  std::string description_;
  std::unique_ptr<modbus_t, Free> ctx_;
};

}  // namespace farmgate::sensors::modbus
