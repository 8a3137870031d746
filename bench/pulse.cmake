# The pulse counter's and the calibration's costs (bench/README.md).
if(TARGET farmgate_sensors_pulse)
  add_executable(farmgate_pulse_bench pulse_bench.cpp)
  target_link_libraries(farmgate_pulse_bench PRIVATE farmgate_sensors_pulse benchmark::benchmark)
endif()
