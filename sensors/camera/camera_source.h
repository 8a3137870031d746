// CameraSource: one IP camera as a sensor source. A worker thread of its own takes a snapshot
// at start, then every `interval`, and whenever request_snapshot() asks (the gateway calls it at
// the start and end of an irrigation run in the camera's zone and when an alarm is raised). Each
// snapshot is fetched (SnapshotFetcher), checked and measured (analyse_jpeg), stored with its
// index row (SnapshotStore, which also applies retention), and its canopy cover is handed to the
// ReadingSink as the camera device's `canopy_cover` reading in % — the snapshot itself never
// goes upstream.
//
// After `offline_after` consecutive failed snapshots (no answer, refused credentials, not a
// JPEG) it raises `camera_offline` (alarm) once, and `camera_online` (info) when one succeeds
// again. Health component "camera/<name>": up, degraded after a failure, down while offline.
// Metrics (label camera): farmgate_camera_snapshots_total, farmgate_camera_failures_total
// {reason}, farmgate_camera_fetch_seconds, farmgate_camera_canopy_cover_percent,
// farmgate_camera_stored_bytes, farmgate_camera_deleted_total, farmgate_camera_online,
// farmgate_camera_requests_dropped_total.
//
// Threads: start(), stop() from the gateway's owner thread; request_snapshot() and the
// accessors from any thread, never blocking (a request is queued for the worker). After stop()
// returns nothing more reaches the sinks; a fetch in progress is cancelled.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "config/camera_config.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/health.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/sink.h"
#include "sensors/camera/canopy.h"
#include "sensors/camera/http_fetch.h"
#include "sensors/camera/snapshot_store.h"
#include "sensors/source.h"

namespace farmgate::sensors::camera {

enum class SnapshotReason { interval, manual, run_start, run_end, alarm };

const char* to_string(SnapshotReason r);

// What the camera needs from the gateway; every reference must outlive the source.
struct CameraDeps {
  ReadingSink& readings;
  EventSink& events;
  Health& health;
  Metrics& metrics;
  const Clock& clock;
  Logger& log;
  SnapshotStore& store;  // shared by every camera
};

class CameraSource final : public Source {
 public:
  // Resolves the camera's device, zone, kind and canopy_cover range from the loaded farm config.
  // An error only if the config was not validated (load_config checks all of it).
  static Result<std::unique_ptr<CameraSource>> create(const config::CameraSource& camera,
                                                      const config::Config& farm, CameraDeps deps);
  ~CameraSource() override;

  const std::string& name() const override { return camera_.name; }
  // Starts the worker; the first snapshot is taken right away.
  Result<void> start() override;
  void stop() override;

  // Queues a snapshot for `reason`. False when the camera is not running, when its config turns
  // that reason off (on_runs, on_alarms), or when the queue is full; a reason already queued is
  // not queued twice (true). Never blocks on the network.
  bool request_snapshot(SnapshotReason reason);

  const std::string& zone() const { return zone_; }
  const std::string& device() const { return camera_.device; }
  bool online() const;

 private:
  struct Target {
    std::string zone, kind, unit;
    double min = 0, max = 100;
  };
  CameraSource(const config::CameraSource& camera, Target target, CameraDeps deps);

  void run();
  void take_snapshot(SnapshotReason reason);
  Result<double> snapshot_once(SnapshotReason reason);
  void succeeded();
  void failed(const Error& error);
  std::string health_name() const { return "camera/" + camera_.name; }
  Labels labels() const { return {{"camera", camera_.name}}; }

  const config::CameraSource camera_;
  const std::string zone_;
  const Target target_;
  CameraDeps deps_;
  SnapshotFetcher fetcher_;
  CanopyOptions canopy_;

  Counter& snapshots_;
  Histogram& fetch_seconds_;
  Gauge& canopy_gauge_;
  Gauge& stored_bytes_;
  Counter& deleted_;
  Gauge& online_gauge_;
  Counter& dropped_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<SnapshotReason> pending_;
  bool running_ = false;
  bool stopping_ = false;
  bool offline_ = false;                  // worker only, mirrored under mu_ for online()
  std::size_t consecutive_failures_ = 0;  // worker only
  std::thread worker_;
};

}  // namespace farmgate::sensors::camera
