# cmake/toolchains/armhf.cmake - 32-bit ARM Linux (ARMv7, hard float); CTest runs the test
# programs under qemu-arm.
#   cmake -S . -B build-armhf -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/armhf.cmake
#   cmake --build build-armhf && ctest --test-dir build-armhf
# Add -DVITALS_CROSS_CLANG=ON to compile with clang++ --target=arm-linux-gnueabihf instead of
# GCC (that build needs -latomic, which the vitals targets then add by themselves).
# Debian: g++-arm-linux-gnueabihf qemu-user doctest-dev (and clang for VITALS_CROSS_CLANG)
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)

set(VITALS_CROSS_TRIPLE arm-linux-gnueabihf)
# try_compile projects re-read this file; pass the choice on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VITALS_CROSS_CLANG)
if(VITALS_CROSS_CLANG)
    set(CMAKE_C_COMPILER clang)
    set(CMAKE_CXX_COMPILER clang++)
    set(CMAKE_C_COMPILER_TARGET ${VITALS_CROSS_TRIPLE})
    set(CMAKE_CXX_COMPILER_TARGET ${VITALS_CROSS_TRIPLE})
else()
    set(CMAKE_C_COMPILER ${VITALS_CROSS_TRIPLE}-gcc)
    set(CMAKE_CXX_COMPILER ${VITALS_CROSS_TRIPLE}-g++)
    # Silences GCC's notes about the ABI change of GCC 7.1.
    set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi")
endif()

set(CMAKE_FIND_ROOT_PATH /usr/${VITALS_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm;-L;/usr/${VITALS_CROSS_TRIPLE})

# The tests copy this header into the build tree; -I/usr/include would pull the host's
# glibc headers into the cross build.
if(EXISTS /usr/include/doctest/doctest.h)
    set(VITALS_DOCTEST_HEADER /usr/include/doctest/doctest.h CACHE FILEPATH "doctest.h to use")
endif()
