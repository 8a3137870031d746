// IP cameras (config type `camera`): snapshots fetched from an HTTP(S) URL at an interval and on
// events, kept under <data_dir>/snapshots/<name>/ with retention by age and total size, and a
// canopy-cover reading (metric canopy_cover, %) computed from each. Documented in
// docs/sensors/camera.md; run by sensors/camera/camera_source.h.
#pragma once

#include <cstddef>
#include <string>

#include "core/time.h"

namespace farmgate::config {

// How the camera wants its credentials: `any` lets libcurl pick what the camera offers.
enum class CameraAuth { none, basic, digest, any };

const char* to_string(CameraAuth a);

struct CameraSource {
  std::string name;
  // A Device id whose kind lists canopy_cover; the reading and the snapshots take its zone.
  std::string device;
  // http:// or https://, may carry a query (Dahua: /cgi-bin/snapshot.cgi?channel=1), never
  // credentials: those go in username/password so that the URL can be logged.
  std::string url;
  std::string username;
  std::string password;
  CameraAuth auth = CameraAuth::none;
  // false accepts a self-signed camera certificate (most cameras on a farm LAN have one).
  bool tls_verify = true;
  Millis interval = std::chrono::minutes{15};
  Millis timeout = std::chrono::seconds{10};  // the whole request, connect included
  bool on_runs = true;    // a snapshot at the start and end of each irrigation run in its zone
  bool on_alarms = true;  // a snapshot when an alarm is raised
  Millis keep = std::chrono::days{30};           // the YAML key keep_days
  std::size_t max_total_bytes = 500ull << 20;    // the YAML key max_total_mb
  std::size_t max_snapshot_bytes = 10ull << 20;  // the YAML key max_snapshot_mb
  double exg_threshold = 0.1;                    // a pixel is green when ExG > this
  std::size_t offline_after = 3;  // consecutive failed snapshots before camera_offline
};

}  // namespace farmgate::config
