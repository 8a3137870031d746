// SnapshotStore: the camera snapshots kept on the gateway. JPEG files live under
// <data_dir>/snapshots/<camera>/<UTC time>.jpg (e.g. 20260101T053000.000Z.jpg: no ':' so the
// names survive FAT cards and URLs); one row per file in a small SQLite index,
// <data_dir>/snapshots.db (WAL), with the camera, zone, time, size, dimensions, canopy cover and
// why it was taken. The index answers "the latest snapshot of zone z1" for the phone page and
// drives retention: by age, then by total size per camera, oldest first.
//
// A file is written to a temporary name, flushed and renamed before its row is inserted, so a
// row never points at a half-written file. Rows and files leave together in prune().
//
// Thread-safe: one store is shared by every camera's worker and by the HTTP handlers; each call
// takes one lock around the SQLite connection (calls are rare and short next to a fetch).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"

struct sqlite3;

namespace farmgate::sensors::camera {

struct SnapshotInfo {
  std::string camera;
  std::string zone;
  Timestamp time{};
  std::filesystem::path path;  // absolute (data dir joined)
  std::uint64_t bytes = 0;
  int width = 0;
  int height = 0;
  double canopy_percent = 0;
  std::string reason;  // interval, manual, run_start, run_end, alarm

  bool operator==(const SnapshotInfo&) const = default;
};

struct PruneResult {
  std::size_t files = 0;
  std::uint64_t bytes = 0;
};

class SnapshotStore {
 public:
  // Creates <data_dir>/snapshots/ and the index if missing.
  static Result<std::unique_ptr<SnapshotStore>> open(const std::filesystem::path& data_dir);
  ~SnapshotStore();
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  // Writes `jpeg` as the camera's file for info.time and indexes it; info.path and info.bytes
  // are filled in (a second snapshot in the same millisecond gets a "-1" suffix).
  Result<SnapshotInfo> add(SnapshotInfo info, std::span<const std::uint8_t> jpeg);

  // Deletes the camera's snapshots taken before now - keep, then the oldest ones until the rest
  // total at most max_total_bytes. The newest snapshot is always kept, so that the phone page has
  // a picture even when one file is larger than the limit.
  Result<PruneResult> prune(std::string_view camera, Timestamp now, Millis keep,
                            std::uint64_t max_total_bytes);

  // The newest snapshot of the zone, by time; nullopt when it has none.
  Result<std::optional<SnapshotInfo>> latest(std::string_view zone) const;
  // The camera's snapshots, oldest first.
  Result<std::vector<SnapshotInfo>> list(std::string_view camera) const;
  // What the camera's snapshots take on the card, by the index.
  Result<std::uint64_t> total_bytes(std::string_view camera) const;

  const std::filesystem::path& data_dir() const { return data_dir_; }

 private:
  struct Db;
  SnapshotStore(std::filesystem::path data_dir, std::unique_ptr<Db> db);

  std::filesystem::path data_dir_;
  mutable std::mutex mu_;
  std::unique_ptr<Db> db_;
};

// "20260101T053000.123Z": a UTC instant as used in snapshot file names.
std::string file_stamp(Timestamp t);

}  // namespace farmgate::sensors::camera
