// DeviceDecoder: turns one poll of one Modbus device (the words of each planned read) into a
// ReadingBatch for its device, or says why not. Like sensors/json_decoder.h for MQTT JSON: a
// poll is accepted or refused whole; a value outside its kind's range refuses the poll, because a
// probe that reports 150 % moisture cannot be trusted for its temperature either.
//
// Refusal reasons (Error::code, used as the metric label): unknown_device (not in the config or
// its kind unknown; the loader checks this first), short_read, not_finite, out_of_range,
// unknown_metric (a register whose metric the kind lacks; the loader checks this too).
//
// Immutable after construction; decode() is const and may run on any thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "config/config.h"
#include "core/reading.h"
#include "core/result.h"
#include "sensors/calibration.h"
#include "sensors/modbus/registers.h"

namespace farmgate::sensors::modbus {

class DeviceDecoder {
 public:
  // `device` and `config` must outlive the decoder.
  DeviceDecoder(const config::ModbusDevice& device, const config::Config& config);

  // The reads one poll makes, in order.
  const std::vector<ReadBlock>& reads() const { return reads_; }

  // `words[i]` are what reads()[i] returned. Every reading gets `time`; quality is
  // clock_unsynced unless `clock_synchronised`.
  Result<ReadingBatch> decode(std::span<const std::vector<std::uint16_t>> words, Timestamp time,
                              bool clock_synchronised) const;

 private:
  struct Slot {
    const config::ModbusRegister* reg;
    std::size_t read;    // index into reads_
    std::size_t offset;  // of the register's first word in that read
  };

  const config::ModbusDevice& modbus_;
  const config::Device* device_;
  const config::DeviceKind* kind_;
  std::vector<ReadBlock> reads_;
  std::vector<Slot> slots_;
  Calibrator calibrator_;
};

}  // namespace farmgate::sensors::modbus
