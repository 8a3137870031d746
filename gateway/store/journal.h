// Journal: the ingest journal that makes an MQTT QoS 1 acknowledgement safe.
//
// Why it exists: Paho hands a QoS 1 message to our callback and sends PUBACK when the callback
// returns; after that the broker forgets the message. Committing to SQLite inside the callback
// would mean one transaction per message (Paho calls back one message at a time), far too slow
// and far too many SD-card writes. Instead the callback appends the decoded readings here — one
// write(2) into the page cache, which survives a crash or kill -9 of this process — and the store
// commits them in batches later. At start, records newer than the store's committed sequence
// number are replayed into the store. A record torn by a crash mid-write fails its checksum and
// is dropped: its callback never returned, so the broker never got a PUBACK and sends it again.
//
// Power loss is the SQLite WAL's business (synchronous=NORMAL): the journal is not fsynced.
//
// Thread-safety: every method may be called from any thread; calls are serialised inside.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/reading.h"
#include "core/result.h"

namespace farmgate::store {

class Journal {
 public:
  using ReplayFn = std::function<void(std::uint64_t seq, ReadingBatch batch)>;

  // Opens the journal in `dir` (created if missing), hands every intact record with a sequence
  // number above `committed` to `replay`, in order, and starts a fresh segment for appends.
  static Result<std::unique_ptr<Journal>> open(const std::string& dir, std::uint64_t committed,
                                               const ReplayFn& replay);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends one batch and returns its sequence number. When this returns, the record survives a
  // crash of this process. Fails on I/O errors (disk full): the caller must not acknowledge.
  Result<std::uint64_t> append(const ReadingBatch& batch);

  // The store has committed every record up to `committed`: segments holding nothing newer are
  // deleted.
  void release(std::uint64_t committed);

  std::uint64_t last_seq() const;
  std::size_t segment_count() const;

  // Encoding of one batch, exposed for tests and the replay path.
  static std::string encode(std::uint64_t seq, const ReadingBatch& batch);

 private:
  struct Segment {
    std::string path;
    std::uint64_t first_seq = 0;
    std::uint64_t last_seq = 0;  // 0 while empty
    std::uint64_t bytes = 0;
  };
  explicit Journal(std::string dir);
  Result<void> open_segment(std::uint64_t first_seq);

  const std::string dir_;
  mutable std::mutex mu_;
  std::vector<Segment> segments_;  // oldest first; the last one is open for appends
  int fd_ = -1;
  std::uint64_t next_seq_ = 1;
};

}  // namespace farmgate::store
