// Register decoding for Modbus sources: the pure part, kept apart from the I/O so that it can be
// tested exhaustively and fuzzed. Turns the words a read returned into a register's value (type,
// word order, scale, offset) and groups a register map into as few read requests as possible.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "config/modbus_config.h"
#include "core/result.h"

namespace farmgate::sensors::modbus {

// The most registers one read may ask for (Modbus application protocol, function 0x03/0x04).
inline constexpr unsigned kMaxReadWords = 125;

// The register's raw number from its words, in address order (words[0] is at reg.address),
// before scale and offset. Error "short_read" when words is not reg.words() long.
Result<double> raw_value(const config::ModbusRegister& reg, std::span<const std::uint16_t> words);

// raw * scale + offset. Error "not_finite" for NaN or infinity (a float32 register that holds
// NaN, or a scale that overflows): such a value is never handed on.
Result<double> decode_register(const config::ModbusRegister& reg,
                               std::span<const std::uint16_t> words);

// One read request: `count` registers of `table` from `address`.
struct ReadBlock {
  config::ModbusTable table = config::ModbusTable::holding;
  unsigned address = 0;
  unsigned count = 0;

  bool operator==(const ReadBlock&) const = default;
};

// The reads that cover every register of the map: registers of one table that touch or overlap
// share a read, up to kMaxReadWords; a gap starts a new read, because many cheap devices answer
// a read that spans an unmapped address with an exception. Sorted by table, then address.
std::vector<ReadBlock> plan_reads(std::span<const config::ModbusRegister> registers);

}  // namespace farmgate::sensors::modbus
