# bench_deps.cmake - the bench's optional host-only dependencies, found once
# at the top level (C++ must be enabled in the directory that holds every
# target using it: bench/ and tests/). Sets:
#   VCONV_HAVE_GBENCH   Google Benchmark + a C++ compiler: bench/gbench_shim.cc
#                       (else bench/gbench_shim_fallback.c, plain C)
#   VCONV_HAVE_ONEDNN   oneDNN (DNNL::dnnl): the onednn / onednn_nchw peers
#   VCONV_HAVE_XNNPACK  XNNPACK (Debian's libxnnpack-dev): the xnnpack peer
# Cross builds (the aarch64 build under qemu) get none of them: no C++
# compiler, no target libraries.
set(VCONV_HAVE_GBENCH OFF)
set(VCONV_HAVE_ONEDNN OFF)
set(VCONV_HAVE_XNNPACK OFF)
option(VCONV_WITH_GBENCH "Use Google Benchmark for vconv-bench when found" ON)
option(VCONV_WITH_ONEDNN "Build the oneDNN peer of vconv-bench when found" ON)
option(VCONV_WITH_XNNPACK "Build the XNNPACK peer of vconv-bench when found" ON)

if(NOT CMAKE_CROSSCOMPILING)
  if(VCONV_WITH_GBENCH)
    # the C++ compiler of the C compiler's family, so that sanitizer
    # runtimes and OpenMP agree (CC=clang -> clang++), unless CXX is given
    if(NOT CMAKE_CXX_COMPILER AND NOT DEFINED ENV{CXX} AND
       CMAKE_C_COMPILER_ID STREQUAL "Clang")
      get_filename_component(_cdir "${CMAKE_C_COMPILER}" DIRECTORY)
      get_filename_component(_cname "${CMAKE_C_COMPILER}" NAME)
      string(REPLACE "clang" "clang++" _cxxname "${_cname}")
      find_program(VCONV_CLANGXX NAMES ${_cxxname} clang++ HINTS ${_cdir})
      if(VCONV_CLANGXX)
        set(CMAKE_CXX_COMPILER "${VCONV_CLANGXX}")
      endif()
    endif()
    include(CheckLanguage)
    check_language(CXX)
    if(CMAKE_CXX_COMPILER)
      enable_language(CXX)
      if(NOT CMAKE_CXX_COMPILER_ID STREQUAL CMAKE_C_COMPILER_ID AND
         VCONV_SANITIZE)
        message(STATUS "vconv: C and C++ compilers differ under "
                       "VCONV_SANITIZE: Google Benchmark left out")
      else()
        find_package(benchmark CONFIG QUIET)
        if(benchmark_FOUND)
          set(VCONV_HAVE_GBENCH ON)
        endif()
      endif()
    endif()
  endif()
  if(VCONV_WITH_ONEDNN)
    # oneDNN's package config requires OpenCL (ocl-icd-opencl-dev) when
    # oneDNN was built with the OpenCL GPU runtime, and fails hard without
    # it: ask for OpenCL first.
    find_package(OpenCL QUIET)
    if(OpenCL_FOUND)
      find_package(dnnl CONFIG QUIET)
      if(dnnl_FOUND)
        set(VCONV_HAVE_ONEDNN ON)
      endif()
    else()
      message(STATUS "vconv: OpenCL not found (ocl-icd-opencl-dev), "
                     "which oneDNN's CMake package needs")
    endif()
  endif()
  if(VCONV_WITH_XNNPACK)
    find_path(VCONV_XNNPACK_INCLUDE xnnpack.h)
    find_library(VCONV_XNNPACK_LIB XNNPACK)
    find_library(VCONV_PTHREADPOOL_LIB pthreadpool)
    if(VCONV_XNNPACK_INCLUDE AND VCONV_XNNPACK_LIB)
      set(VCONV_HAVE_XNNPACK ON)
    endif()
  endif()
endif()
message(STATUS "vconv: bench with Google Benchmark ${VCONV_HAVE_GBENCH}, "
               "oneDNN ${VCONV_HAVE_ONEDNN}, XNNPACK ${VCONV_HAVE_XNNPACK}")
if(NOT VCONV_HAVE_ONEDNN AND NOT CMAKE_CROSSCOMPILING)
  message(STATUS "vconv: vconv-bench is built WITHOUT the oneDNN peer "
                 "(install libdnnl-dev and ocl-icd-opencl-dev)")
endif()
