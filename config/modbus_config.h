// Modbus sensor sources (config type `modbus`): one RS485 bus (Modbus RTU on a serial port) or
// one Modbus TCP endpoint, with the devices polled on it and each device's register map.
// Documented in docs/sensors/modbus.md. Owned by the Modbus sensor work (issue 6).
//
// The loader resolves a device's `profile:` into its register list, so what the poller sees is
// always a complete register map; the built-in profiles are listed by modbus_profiles().
// Plain immutable values after loading; any thread may read them.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace farmgate::config {

// Which read function a register is read with: 0x03 (holding) or 0x04 (input).
enum class ModbusTable { holding, input };

// How the register's words are read as a number. The 32-bit types take two registers.
enum class ModbusType { int16, uint16, int32, uint32, float32 };

// Of a 32-bit value's two registers: big = the register at the lower address holds the high
// word (the Modbus convention, "ABCD"); little = it holds the low word ("CDAB", "word swap").
// Bytes within a register are always big-endian, as the protocol says.
enum class WordOrder { big, little };

const char* to_string(ModbusTable t);
const char* to_string(ModbusType t);
const char* to_string(WordOrder o);

// One metric read from a device: value = raw * scale + offset, in `unit`.
struct ModbusRegister {
  std::string metric;
  ModbusTable table = ModbusTable::holding;
  unsigned address = 0;  // the protocol address, 0..65535 (not the 1-based "40001" notation)
  ModbusType type = ModbusType::uint16;
  WordOrder word_order = WordOrder::big;
  double scale = 1;
  double offset = 0;
  std::string unit;  // what the scaled value is in; empty = whatever the device's kind says

  unsigned words() const {
    return type == ModbusType::int16 || type == ModbusType::uint16 ? 1u : 2u;
  }
  bool operator==(const ModbusRegister&) const = default;
};

// A built-in register map for a common device, selected with `profile: NAME`.
struct ModbusProfile {
  std::string name;
  std::string description;  // one line: which devices it fits
  std::vector<ModbusRegister> registers;
};

// Every built-in profile, in documentation order.
const std::vector<ModbusProfile>& modbus_profiles();
// The profile called `name`, or null.
const ModbusProfile* find_modbus_profile(std::string_view name);

// One slave on the bus, mapped to a device of the `devices:` list.
struct ModbusDevice {
  std::string device;   // a Device id
  int slave = 1;        // RTU 1..247; TCP unit id 0..255
  std::string profile;  // the profile the registers came from; empty when none
  Millis interval = std::chrono::seconds{10};
  std::vector<ModbusRegister> registers;  // resolved: never empty after loading
};

struct ModbusSource {
  std::string name;
  // Exactly one of the two: a serial port (RTU) or a TCP endpoint.
  std::string port;  // RTU: e.g. /dev/serial/by-id/usb-FTDI_FT232R-if00-port0
  std::string host;  // TCP: from url tcp://HOST[:PORT]
  unsigned short tcp_port = 502;
  int baud = 9600;
  char parity = 'N';  // 'N', 'E' or 'O', as libmodbus takes it
  int data_bits = 8;
  int stop_bits = 1;
  Millis timeout = std::chrono::milliseconds{500};  // one request's response timeout
  int retries = 2;  // further attempts of a failed request (an offline device gets none)
  Millis frame_gap = std::chrono::milliseconds{50};  // bus silence between two requests
  std::size_t offline_after = 3;  // consecutive failed polls before modbus_device_offline
  std::vector<ModbusDevice> devices;

  bool tcp() const { return !host.empty(); }
};

}  // namespace farmgate::config
