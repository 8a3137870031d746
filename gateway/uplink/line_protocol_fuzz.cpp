// libFuzzer entry point for the line-protocol encoder (built with -DFARMGATE_FUZZ=ON and clang):
// the input bytes are cut into a point's strings and values; whatever the encoder accepts must be
// one line that the reference parser reads back to the same point.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/uplink/line_protocol.h"
#include "gateway/uplink/line_protocol_test_parser.h"

namespace {

using namespace farmgate;

// Hands out pieces of the fuzzer's input.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size)
      : s_(reinterpret_cast<const char*>(data), size) {}
  bool empty() const { return s_.empty(); }
  std::uint8_t byte() {
    if (s_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(s_[0]);
    s_.remove_prefix(1);
    return b;
  }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
    return v;
  }
  std::string text() {
    const std::size_t n = std::min<std::size_t>(byte() % 16, s_.size());
    std::string out(s_.substr(0, n));
    s_.remove_prefix(n);
    return out;
  }

 private:
  std::string_view s_;
};

bool same(const lineproto::FieldValue& a, const lineproto::FieldValue& b) {
  if (a.index() != b.index()) return false;
  if (const auto* d = std::get_if<double>(&a)) {
    return std::memcmp(d, &std::get<double>(b), sizeof(double)) == 0;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  lineproto::Point p;
  p.measurement = in.text();
  for (int i = in.byte() % 4; i > 0; --i) p.tags.emplace_back(in.text(), in.text());
  for (int i = in.byte() % 4; i > 0; --i) {
    std::string key = in.text();
    switch (in.byte() % 4) {
      case 0: {
        const std::uint64_t bits = in.u64();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        p.fields.emplace_back(std::move(key), d);
        break;
      }
      case 1:
        p.fields.emplace_back(std::move(key), static_cast<std::int64_t>(in.u64()));
        break;
      case 2:
        p.fields.emplace_back(std::move(key), in.text());
        break;
      default:
        p.fields.emplace_back(std::move(key), (in.byte() & 1) != 0);
        break;
    }
  }
  p.time = from_epoch_ms(static_cast<std::int64_t>(in.u64()));

  std::string line;
  if (!lineproto::encode(p, line).ok()) {
    if (!line.empty()) std::abort();  // a refusal must leave the output untouched
    return 0;
  }
  if (line.find('\n') != line.size() - 1) std::abort();
  auto back = lineproto::testing::parse_line(line);
  if (!back.ok() || back->measurement != p.measurement || back->time != p.time ||
      back->fields.size() != p.fields.size()) {
    std::abort();
  }
  for (std::size_t i = 0; i < p.fields.size(); ++i) {
    if (back->fields[i].first != p.fields[i].first ||
        !same(back->fields[i].second, p.fields[i].second)) {
      std::abort();
    }
  }
  std::vector<std::pair<std::string, std::string>> tags;
  for (const auto& t : p.tags) {
    if (!t.second.empty()) tags.push_back(t);
  }
  std::stable_sort(tags.begin(), tags.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  if (back->tags != tags) std::abort();
  return 0;
}
