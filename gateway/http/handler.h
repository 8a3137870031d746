// Route handlers. Both kinds run on the server's io_context thread and must not block it: a
// Handler answers at once from state the io thread owns (health, metrics, live zone state); an
// AsyncHandler hands the work to the thread that owns it (SQLite history on the store thread) and
// answers later through its Responder, from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <utility>

#include "gateway/http/message.h"

namespace farmgate::http {

using Handler = std::function<Response(const Request&)>;

// Delivers an AsyncHandler's response. Copyable; may be called from any thread. The first call
// wins and later ones are ignored. If the handler takes longer than the server's handler timeout,
// or the connection or server is gone, the response is dropped.
class Responder {
 public:
  explicit Responder(std::function<void(Response)> deliver)
      : state_(std::make_shared<State>(std::move(deliver))) {}

  void operator()(Response response) const {
    if (state_->done.exchange(true)) return;
    state_->deliver(std::move(response));
  }

 private:
  struct State {
    explicit State(std::function<void(Response)> d) : deliver(std::move(d)) {}
    std::atomic<bool> done{false};
    std::function<void(Response)> deliver;
  };
  std::shared_ptr<State> state_;
};

using AsyncHandler = std::function<void(const Request&, Responder)>;

}  // namespace farmgate::http
