// ReadingSink: where sources hand what they accepted.
//
// Contract: when accept() returns, the batch is durable — it survives a crash of this process —
// so a source may acknowledge it to its peer (an MQTT PUBACK, a Modbus poll's next step). accept()
// may block to slow a source down while the store is behind; it never drops a batch. If it cannot
// make the batch durable (disk full), it returns an error and the source must not acknowledge.
// Any thread.
#pragma once

#include "core/reading.h"
#include "core/result.h"

namespace farmgate {

class ReadingSink {
 public:
  virtual ~ReadingSink() = default;
  virtual Result<void> accept(ReadingBatch batch) = 0;
};

}  // namespace farmgate
