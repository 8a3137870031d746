// FakePulseLine: a pulse input for tests. The test pushes edge times (or a failure) into the
// line; the source's PulseInput made by opener() returns them from wait(). Thread-safe: the test
// thread feeds it while the source's counting thread waits on it. Test code only.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sensors/pulse/pulse_input.h"

namespace farmgate::sensors::pulse::testing {

class FakePulseLine : public std::enable_shared_from_this<FakePulseLine> {
 public:
  void push(std::vector<SteadyTime> edges) {
    {
      std::lock_guard lock(mu_);
      pending_.insert(pending_.end(), edges.begin(), edges.end());
    }
    cv_.notify_all();
  }
  // The next wait() fails with `message`; the line must then be opened again.
  void fail(std::string message) {
    {
      std::lock_guard lock(mu_);
      failure_ = std::move(message);
    }
    cv_.notify_all();
  }
  // While refused, opening the line fails.
  void refuse_open(bool refuse) {
    std::lock_guard lock(mu_);
    refuse_open_ = refuse;
  }
  int opened() const {
    std::lock_guard lock(mu_);
    return opened_;
  }
  Millis longest_wait() const {
    std::lock_guard lock(mu_);
    return longest_wait_;
  }
  // True once every pushed edge has been handed to the source.
  bool drained() const {
    std::lock_guard lock(mu_);
    return pending_.empty();
  }

  PulseOpener opener() {
    return [self = shared_from_this()](const config::PulseSource&,
                                       std::string_view) -> Result<std::unique_ptr<PulseInput>> {
      std::lock_guard lock(self->mu_);
      if (self->refuse_open_) return make_error("gpio_open", "cannot open GPIO chip: no such chip");
      ++self->opened_;
      return std::unique_ptr<PulseInput>(std::make_unique<Input>(self));
    };
  }

 private:
  class Input final : public PulseInput {
   public:
    explicit Input(std::shared_ptr<FakePulseLine> line) : line_(std::move(line)) {}
    Result<void> wait(Millis timeout, std::vector<SteadyTime>& edges) override {
      return line_->wait(timeout, edges);
    }
    std::string describe() const override { return "fake line"; }

   private:
    std::shared_ptr<FakePulseLine> line_;
  };

  Result<void> wait(Millis timeout, std::vector<SteadyTime>& edges) {
    std::unique_lock lock(mu_);
    longest_wait_ = std::max(longest_wait_, timeout);
    cv_.wait_for(lock, timeout, [this] { return !pending_.empty() || failure_.has_value(); });
    if (failure_) {
      const std::string message = std::move(*failure_);
      failure_.reset();
      return make_error("gpio_wait", message);
    }
    // As the kernel does: at most 16 events per read.
    const std::size_t n = std::min<std::size_t>(pending_.size(), 16);
    edges.insert(edges.end(), pending_.begin(), pending_.begin() + static_cast<long>(n));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(n));
    return {};
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SteadyTime> pending_;
  std::optional<std::string> failure_;
  bool refuse_open_ = false;
  int opened_ = 0;
  Millis longest_wait_{0};
};

}  // namespace farmgate::sensors::pulse::testing
