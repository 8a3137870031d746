// The uplink tests' main: libcurl's global setup once, as the daemon's main() does it.
#include <gtest/gtest.h>

#include "gateway/uplink/uplink.h"

int main(int argc, char** argv) {
  farmgate::uplink::uplink_global_init();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
