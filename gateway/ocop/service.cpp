#include "gateway/ocop/service.h"

#include <utility>

namespace farmgate::ocop {

LedgerOptions ledger_options(const config::Config& config) {
  LedgerOptions o;
  for (const auto& z : config.zones) o.zones.push_back(LotZone{z.id, z.area_m2});
  o.site = config.site;
  o.outbox = !config.uplinks.empty();
  return o;
}

Result<std::unique_ptr<OcopService>> OcopService::open(const config::Config& config,
                                                       rules::SiteTime tz, const Clock& clock) {
  // A small queue: these are people's requests, a handful at a time.
  auto worker = store::Reader::open(config.store.path, 32, store::Reader::Access::read_write);
  if (!worker) return worker.error();
  return std::unique_ptr<OcopService>(new OcopService(std::move(*worker), std::move(tz), clock,
                                                      ledger_options(config), config.ocop));
}

OcopService::OcopService(std::unique_ptr<store::Reader> worker, rules::SiteTime tz,
                         const Clock& clock, LedgerOptions options, config::OcopConfig ocop)
    : tz_(std::move(tz)),
      clock_(clock),
      options_(std::move(options)),
      ocop_(std::move(ocop)),
      worker_(std::move(worker)) {}

bool OcopService::post(Job job) {
  return worker_->post([this, job = std::move(job)](sqlite::Db& db) {
    Ledger ledger(db, tz_, options_);
    job(ledger, to_epoch_ms(clock_.now()));
  });
}

void OcopService::stop() {
  worker_->stop();
}

}  // namespace farmgate::ocop
