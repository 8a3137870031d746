// OcopService: the ledger (ledger.h) on its own worker thread and writable connection, so no
// SQLite work runs on the io_context thread and the ledger's few writes do not queue behind
// ingest in the store. Jobs run one at a time in the order posted; each gets a Ledger and now.
//
// Threads: post() from any thread; jobs run on the worker. Stop (destroy) it after the HTTP
// server that posts to it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "gateway/ocop/ledger.h"
#include "gateway/store/reader.h"
#include "rules/site_time.h"

namespace farmgate::ocop {

class OcopService {
 public:
  using Job = std::function<void(Ledger& ledger, std::int64_t now_ms)>;

  // Opens the store's file (already migrated by the Store) for the worker. `config` gives the
  // zones, their areas, the site, whether uplinks are configured, and the ocop: section.
  static Result<std::unique_ptr<OcopService>> open(const config::Config& config, rules::SiteTime tz,
                                                   const Clock& clock);

  // False when the queue is full or the service is stopping (answer 503).
  [[nodiscard]] bool post(Job job);
  void stop();

  const config::OcopConfig& config() const { return ocop_; }
  const rules::SiteTime& tz() const { return tz_; }

 private:
  OcopService(std::unique_ptr<store::Reader> worker, rules::SiteTime tz, const Clock& clock,
              LedgerOptions options, config::OcopConfig ocop);

  rules::SiteTime tz_;
  const Clock& clock_;
  LedgerOptions options_;
  config::OcopConfig ocop_;
  std::unique_ptr<store::Reader> worker_;  // last: its thread stops before the rest goes
};

// The ledger's options from a configuration: zones with their areas, site, uplinks.
LedgerOptions ledger_options(const config::Config& config);

}  // namespace farmgate::ocop
