// Ingest: the ReadingSink every source hands its batches to. It makes each batch durable in the
// journal, then queues it for the store under the journal's sequence number — both under one
// lock, so the store sees batches in sequence order and "committed up to N" means all of 1..N.
// Any thread; accept() blocks while the store's queue is full (backpressure to the source).
//
// The live tap: batches from the devices in `live` are also handed to `tap` once durable, in
// journal order, for what reacts to readings on the event loop (flow checks, zone state, rules).
// `tap` runs on the source's thread under the ingest lock, so it must only copy and post.
#pragma once

#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "core/sink.h"
#include "gateway/store/journal.h"
#include "gateway/store/store.h"

namespace farmgate::gateway {

class Ingest final : public ReadingSink {
 public:
  using Tap = std::function<void(const ReadingBatch&)>;

  Ingest(store::Journal& journal, store::Store& store, std::set<std::string, std::less<>> live = {},
         Tap tap = {})
      : journal_(journal), store_(store), live_(std::move(live)), tap_(std::move(tap)) {}

  Result<void> accept(ReadingBatch batch) override {
    std::lock_guard lock(mu_);
    auto seq = journal_.append(batch);
    if (!seq) return seq.error();
    if (tap_ && !batch.empty() && live_.contains(batch.front().device)) tap_(batch);
    store_.submit(*seq, std::move(batch));
    return {};
  }

 private:
  std::mutex mu_;
  store::Journal& journal_;
  store::Store& store_;
  const std::set<std::string, std::less<>> live_;
  const Tap tap_;
};

}  // namespace farmgate::gateway
