#include "core/event.h"

namespace farmgate {

const char* to_string(Severity s) {
  switch (s) {
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::alarm: return "alarm";
  }
  return "info";
}

}  // namespace farmgate
