# The web API's benchmarks (bench/api.sh, bench/series.sh; bench/README.md): an HTTP load
# generator on Boost.Beast, and the 7-day series query against a filled store.
add_executable(farmgate_api_load api_load.cpp)
target_link_libraries(farmgate_api_load PRIVATE Boost::headers Threads::Threads)

if(TARGET farmgate_store)
  add_executable(farmgate_series_bench series_bench.cpp)
  target_link_libraries(farmgate_series_bench PRIVATE farmgate_store)
endif()
