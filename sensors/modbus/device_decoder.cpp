#include "sensors/modbus/device_decoder.h"

#include <string>

namespace farmgate::sensors::modbus {

DeviceDecoder::DeviceDecoder(const config::ModbusDevice& device, const config::Config& config)
    : modbus_(device),
      device_(config.find_device(device.device)),
      kind_(device_ ? config.find_kind(device_->kind) : nullptr),
      reads_(plan_reads(device.registers)),
      calibrator_(config) {
  for (const auto& reg : device.registers) {
    for (std::size_t i = 0; i < reads_.size(); ++i) {
      const ReadBlock& b = reads_[i];
      if (b.table == reg.table && reg.address >= b.address &&
          reg.address + reg.words() <= b.address + b.count) {
        slots_.push_back({&reg, i, reg.address - b.address});
        break;
      }
    }
  }
}

Result<ReadingBatch> DeviceDecoder::decode(std::span<const std::vector<std::uint16_t>> words,
                                           Timestamp time, bool clock_synchronised) const {
  if (!device_ || !kind_) {
    return make_error("unknown_device", "device '" + modbus_.device + "' or its kind is unknown");
  }
  if (words.size() != reads_.size()) {
    return make_error("short_read", std::to_string(words.size()) + " reads for " +
                                        std::to_string(reads_.size()) + " planned");
  }
  const Quality quality = clock_synchronised ? Quality::good : Quality::clock_unsynced;
  ReadingBatch batch;
  batch.reserve(slots_.size());
  for (const Slot& s : slots_) {
    const std::vector<std::uint16_t>& block = words[s.read];
    if (s.offset + s.reg->words() > block.size()) {
      return make_error("short_read", "read " + std::to_string(s.read) + " returned " +
                                          std::to_string(block.size()) + " words");
    }
    auto value = decode_register(
        *s.reg, std::span<const std::uint16_t>(block).subspan(s.offset, s.reg->words()));
    if (!value) return value.error();
    const config::MetricSpec* spec = kind_->find_metric(s.reg->metric);
    if (!spec) {
      return make_error("unknown_metric",
                        "'" + s.reg->metric + "' is not a metric of kind '" + kind_->name + "'");
    }
    // The kind's unit is the series' unit; the register's only fills in when the kind has none.
    batch.push_back(Reading{device_->id, device_->zone, kind_->name, spec->name, *value,
                            spec->unit.empty() ? s.reg->unit : spec->unit, time, quality});
  }
  // Calibrated (devices[].calibration, the raw value kept beside) and range-checked as every
  // source does; the range is the calibrated value's.
  if (auto r = calibrator_.apply(batch); !r) return r.error();
  return batch;
}

}  // namespace farmgate::sensors::modbus
