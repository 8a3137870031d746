// Ingest: the ReadingSink every source hands its batches to. It makes each batch durable in the
// journal, then queues it for the store under the journal's sequence number — both under one
// lock, so the store sees batches in sequence order and "committed up to N" means all of 1..N.
// Any thread; accept() blocks while the store's queue is full (backpressure to the source).
#pragma once

#include <mutex>

#include "core/sink.h"
#include "gateway/store/journal.h"
#include "gateway/store/store.h"

namespace farmgate::gateway {

class Ingest final : public ReadingSink {
 public:
  Ingest(store::Journal& journal, store::Store& store) : journal_(journal), store_(store) {}

  Result<void> accept(ReadingBatch batch) override {
    std::lock_guard lock(mu_);
    auto seq = journal_.append(batch);
    if (!seq) return seq.error();
    store_.submit(*seq, std::move(batch));
    return {};
  }

 private:
  std::mutex mu_;
  store::Journal& journal_;
  store::Store& store_;
};

}  // namespace farmgate::gateway
