#include "gateway/store/journal.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

namespace farmgate::store {
namespace {

namespace fs = std::filesystem;

// A segment rolls over past this size, so released records free their disk space soon.
constexpr std::uint64_t kSegmentBytes = 8u << 20;
constexpr std::uint32_t kMaxRecordBytes = 64u << 20;

void put_u16(std::string& out, std::uint16_t v) { out.append(reinterpret_cast<char*>(&v), 2); }
void put_u32(std::string& out, std::uint32_t v) { out.append(reinterpret_cast<char*>(&v), 4); }
void put_u64(std::string& out, std::uint64_t v) { out.append(reinterpret_cast<char*>(&v), 8); }
void put_str(std::string& out, const std::string& s) {
  const auto n = static_cast<std::uint16_t>(std::min<std::size_t>(s.size(), 0xffff));
  put_u16(out, n);
  out.append(s.data(), n);
}

// Reads from a record's payload; any overrun marks it bad instead of reading past the end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  template <class T>
  T get() {
    T v{};
    if (pos_ + sizeof(T) > data_.size()) {
      bad_ = true;
      return v;
    }
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string str() {
    const auto n = get<std::uint16_t>();
    if (bad_ || pos_ + n > data_.size()) {
      bad_ = true;
      return {};
    }
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  bool ok() const { return !bad_ && pos_ == data_.size(); }
  bool bad() const { return bad_; }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
  bool bad_ = false;
};

std::optional<std::pair<std::uint64_t, ReadingBatch>> decode(std::string_view payload) {
  Reader r(payload);
  const auto seq = r.get<std::uint64_t>();
  const auto n = r.get<std::uint32_t>();
  ReadingBatch batch;
  for (std::uint32_t i = 0; i < n && !r.bad(); ++i) {
    Reading reading;
    reading.device = r.str();
    reading.zone = r.str();
    reading.kind = r.str();
    reading.metric = r.str();
    reading.value = r.get<double>();
    reading.unit = r.str();
    reading.time = from_epoch_ms(r.get<std::int64_t>());
    reading.quality = static_cast<Quality>(r.get<std::uint8_t>());
    batch.push_back(std::move(reading));
  }
  if (!r.ok() || batch.size() != n) return std::nullopt;
  return std::make_pair(seq, std::move(batch));
}

std::uint32_t crc(std::string_view data) {
  return static_cast<std::uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

std::string segment_name(std::uint64_t first_seq) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "seg-%020llu.jnl", static_cast<unsigned long long>(first_seq));
  return buf;
}

Error io_error(const std::string& what, const std::string& path) {
  return make_error("journal_io", what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

std::string Journal::encode(std::uint64_t seq, const ReadingBatch& batch) {
  std::string payload;
  put_u64(payload, seq);
  put_u32(payload, static_cast<std::uint32_t>(batch.size()));
  for (const auto& r : batch) {
    put_str(payload, r.device);
    put_str(payload, r.zone);
    put_str(payload, r.kind);
    put_str(payload, r.metric);
    payload.append(reinterpret_cast<const char*>(&r.value), sizeof r.value);
    put_str(payload, r.unit);
    const std::int64_t ms = to_epoch_ms(r.time);
    payload.append(reinterpret_cast<const char*>(&ms), sizeof ms);
    payload.push_back(static_cast<char>(r.quality));
  }
  std::string record;
  record.reserve(payload.size() + 8);
  put_u32(record, static_cast<std::uint32_t>(payload.size()));
  put_u32(record, crc(payload));
  record += payload;
  return record;
}

Journal::Journal(std::string dir) : dir_(std::move(dir)) {}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<Journal>> Journal::open(const std::string& dir, std::uint64_t committed,
                                               const ReplayFn& replay) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("journal_io", "cannot create " + dir + ": " + ec.message());

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    if (name.starts_with("seg-") && name.ends_with(".jnl")) files.push_back(entry.path());
  }
  if (ec) return make_error("journal_io", "cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());  // zero-padded sequence numbers sort in order

  std::unique_ptr<Journal> j(new Journal(dir));
  std::uint64_t max_seq = committed;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t pos = 0;
    Segment seg{file.string(), 0, 0, data.size()};
    while (pos + 8 <= data.size()) {
      std::uint32_t len = 0, sum = 0;
      std::memcpy(&len, data.data() + pos, 4);
      std::memcpy(&sum, data.data() + pos + 4, 4);
      if (len > kMaxRecordBytes || pos + 8 + len > data.size()) break;  // torn tail
      const std::string_view payload(data.data() + pos + 8, len);
      if (crc(payload) != sum) break;
      auto rec = decode(payload);
      if (!rec) break;
      if (seg.first_seq == 0) seg.first_seq = rec->first;
      seg.last_seq = rec->first;
      if (rec->first > committed) replay(rec->first, std::move(rec->second));
      max_seq = std::max(max_seq, seg.last_seq);
      pos += 8 + len;
    }
    if (seg.last_seq == 0) {
      fs::remove(file, ec);  // nothing intact in it
      continue;
    }
    j->segments_.push_back(seg);
  }
  j->next_seq_ = max_seq + 1;
  if (auto r = j->open_segment(j->next_seq_); !r) return r.error();
  j->release(committed);
  return j;
}

Result<void> Journal::open_segment(std::uint64_t first_seq) {
  const std::string path = dir_ + "/" + segment_name(first_seq);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return io_error("cannot open", path);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  segments_.push_back(Segment{path, first_seq, 0, 0});
  return {};
}

Result<std::uint64_t> Journal::append(const ReadingBatch& batch) {
  std::lock_guard lock(mu_);
  const std::uint64_t seq = next_seq_;
  const std::string record = encode(seq, batch);
  Segment& seg = segments_.back();
  std::size_t done = 0;
  while (done < record.size()) {
    const ssize_t n = ::write(fd_, record.data() + done, record.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // Cut off what was half written, so the next record starts on a clean boundary.
      (void)::ftruncate(fd_, static_cast<off_t>(seg.bytes));
      return io_error("cannot write", seg.path);
    }
    done += static_cast<std::size_t>(n);
  }
  ++next_seq_;
  if (seg.first_seq == 0) seg.first_seq = seq;
  seg.last_seq = seq;
  seg.bytes += record.size();
  if (seg.bytes >= kSegmentBytes) {
    if (auto r = open_segment(next_seq_); !r) {
      // The record is written; appends go on in the big segment until a new one can be opened.
      return seq;
    }
  }
  return seq;
}

void Journal::release(std::uint64_t committed) {
  std::lock_guard lock(mu_);
  // The open segment is kept; it rolls over by size and is released after that.
  while (segments_.size() > 1) {
    const Segment& oldest = segments_.front();
    if (oldest.last_seq > committed) break;
    std::error_code ec;
    fs::remove(oldest.path, ec);
    segments_.erase(segments_.begin());
  }
}

std::uint64_t Journal::last_seq() const {
  std::lock_guard lock(mu_);
  return next_seq_ - 1;
}

std::size_t Journal::segment_count() const {
  std::lock_guard lock(mu_);
  return segments_.size();
}

}  // namespace farmgate::store
