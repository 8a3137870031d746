# Camera snapshots: decode + canopy cover of a 1920x1080 JPEG, and the same plus writing the file
# and its index row (target < 200 ms per snapshot on the Pi; docs/sensors/camera.md).
if(TARGET farmgate_sensors_camera)
  add_executable(farmgate_camera_bench ${CMAKE_CURRENT_LIST_DIR}/camera_bench.cpp)
  target_link_libraries(farmgate_camera_bench PRIVATE farmgate_sensors_camera
                                                      farmgate_sensors_camera_testing
                                                      benchmark::benchmark)
endif()
