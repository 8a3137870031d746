# Modbus polling cost (bench/modbus_bench.cpp): CPU per device poll against a local Modbus TCP
# slave in a child process. Part of bench/CMakeLists.txt's per-source-kind *.cmake files.
if(TARGET farmgate_sensors_modbus)
  add_executable(farmgate_modbus_bench ${CMAKE_CURRENT_LIST_DIR}/modbus_bench.cpp)
  target_link_libraries(farmgate_modbus_bench PRIVATE farmgate_sensors_modbus)
endif()
