// CameraFleet: every camera of a configuration as one sensor Source, with the snapshot store
// they share — what the gateway wires in: it starts and stops the fleet with the other sources,
// tells it about irrigation runs and alarms, and asks it for the latest snapshot of a zone for
// the phone page.
//
// Threads: create(), start(), stop() from the gateway's owner thread. on_run(), on_alarm(),
// request_snapshot() and latest() from any thread; none of them waits for the network (a
// snapshot is queued for the camera's worker) and latest() takes one short SQLite read. Each
// camera has its own worker thread (camera_source.h).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "sensors/camera/camera_source.h"
#include "sensors/camera/snapshot_store.h"
#include "sensors/source.h"

namespace farmgate::sensors::camera {

struct FleetDeps {
  ReadingSink& readings;
  EventSink& events;
  Health& health;
  Metrics& metrics;
  const Clock& clock;
  Logger& log;
};

class CameraFleet final : public Source {
 public:
  // Opens <data_dir>/snapshots.db (creating <data_dir>/snapshots/) and builds one CameraSource
  // per config.cameras entry, not started. Call only when config.cameras is not empty, so that
  // a farm without cameras gets no snapshot files.
  static Result<std::unique_ptr<CameraFleet>> create(const config::Config& config, FleetDeps deps);
  ~CameraFleet() override;

  const std::string& name() const override { return name_; }
  // Starts every camera; if one fails, those already started are stopped again.
  Result<void> start() override;
  void stop() override;

  // An irrigation run in `zone` started (true) or ended (false): a snapshot from each camera of
  // the zone whose on_runs is set.
  void on_run(std::string_view zone, bool started);
  // An alarm was raised: a snapshot from each camera of `zone` (every camera when the zone is
  // empty) whose on_alarms is set. Events other than alarms, and the cameras' own
  // camera_offline / camera_online, are ignored.
  void on_alarm(const Event& event, std::string_view zone = {});
  // A snapshot now from the named camera (e.g. a "take a picture" button). False when there is
  // no such camera or it is not running.
  bool request_snapshot(std::string_view camera);

  // The newest snapshot of the zone, from any of its cameras; nullopt when there is none.
  Result<std::optional<SnapshotInfo>> latest(std::string_view zone) const;

  const std::vector<std::unique_ptr<CameraSource>>& cameras() const { return cameras_; }
  SnapshotStore& store() { return *store_; }

 private:
  explicit CameraFleet(std::unique_ptr<SnapshotStore> store) : store_(std::move(store)) {}

  std::string name_ = "cameras";
  std::unique_ptr<SnapshotStore> store_;  // declared first: outlives the cameras using it
  std::vector<std::unique_ptr<CameraSource>> cameras_;
};

}  // namespace farmgate::sensors::camera
