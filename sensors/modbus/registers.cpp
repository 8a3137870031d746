#include "sensors/modbus/registers.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace farmgate::sensors::modbus {

Result<double> raw_value(const config::ModbusRegister& reg, std::span<const std::uint16_t> words) {
  using config::ModbusType;
  if (words.size() != reg.words()) {
    return make_error("short_read", "register '" + reg.metric + "' needs " +
                                        std::to_string(reg.words()) + " words, got " +
                                        std::to_string(words.size()));
  }
  switch (reg.type) {
    case ModbusType::uint16:
      return static_cast<double>(words[0]);
    case ModbusType::int16:
      return static_cast<double>(static_cast<std::int16_t>(words[0]));
    default:
      break;
  }
  const bool big = reg.word_order == config::WordOrder::big;
  const std::uint32_t high = big ? words[0] : words[1];
  const std::uint32_t low = big ? words[1] : words[0];
  const std::uint32_t bits = (high << 16) | low;
  switch (reg.type) {
    case ModbusType::uint32:
      return static_cast<double>(bits);
    case ModbusType::int32:
      return static_cast<double>(static_cast<std::int32_t>(bits));
    default:
      return static_cast<double>(std::bit_cast<float>(bits));
  }
}

Result<double> decode_register(const config::ModbusRegister& reg,
                               std::span<const std::uint16_t> words) {
  auto raw = raw_value(reg, words);
  if (!raw) return raw;
  double value = *raw * reg.scale + reg.offset;
  if (!std::isfinite(value)) {
    return make_error("not_finite", "register '" + reg.metric + "' holds no finite number");
  }
  // 284 × 0.1 is 28.400000000000002 in binary: stored, charted and sent upstream as such. No
  // probe resolves finer than a millionth, so round there (where a double still has room).
  if (std::abs(value) < 1e9) value = std::round(value * 1e6) / 1e6;
  return value;
}

std::vector<ReadBlock> plan_reads(std::span<const config::ModbusRegister> registers) {
  struct Span {
    config::ModbusTable table;
    unsigned first;
    unsigned last;  // inclusive
  };
  std::vector<Span> spans;
  spans.reserve(registers.size());
  for (const auto& r : registers) spans.push_back({r.table, r.address, r.address + r.words() - 1});
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.table != b.table ? a.table < b.table : a.first < b.first;
  });
  std::vector<ReadBlock> out;
  for (const Span& s : spans) {
    if (!out.empty()) {
      ReadBlock& b = out.back();
      const unsigned end = b.address + b.count;  // one past the block's last register
      const unsigned merged_end = std::max(end, s.last + 1);
      if (b.table == s.table && s.first <= end && merged_end - b.address <= kMaxReadWords) {
        b.count = merged_end - b.address;
        continue;
      }
    }
    out.push_back({s.table, s.first, s.last - s.first + 1});
  }
  return out;
}

}  // namespace farmgate::sensors::modbus
