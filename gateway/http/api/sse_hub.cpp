#include "gateway/http/api/sse_hub.h"

#include <algorithm>
#include <string>

namespace farmgate::http::api {

void SseHub::add(std::shared_ptr<StreamWriter> writer) {
  if (writer && writer->is_open()) writers_.push_back(std::move(writer));
}

std::string SseHub::format(std::string_view event, std::string_view data) {
  std::string out = "event: ";
  out += event;
  out += "\ndata: ";
  for (const char c : data) {
    if (c == '\r') continue;
    out += c;
    if (c == '\n') out += "data: ";
  }
  out += "\n\n";
  return out;
}

void SseHub::publish(std::string_view event, std::string_view data) {
  send(format(event, data));
}

void SseHub::ping() {
  send(": ping\n\n");
}

void SseHub::close_all() {
  for (const auto& w : writers_) w->close();
  writers_.clear();
}

void SseHub::send(std::string_view bytes) {
  // write() fails for a closed stream: that is how the gone and the slow are found.
  std::erase_if(writers_,
                [bytes](const std::shared_ptr<StreamWriter>& w) { return !w->write(bytes); });
}

}  // namespace farmgate::http::api
