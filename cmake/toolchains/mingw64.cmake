# cmake/toolchains/mingw64.cmake - 64-bit Windows with mingw-w64 (posix threads); CTest runs
# the test programs under wine.
#   export WINEPREFIX=/tmp/vitals-wine WINEDEBUG=-all WINEDLLOVERRIDES='mscoree=d;mshtml=d'
#   cmake -S . -B build-win -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw64.cmake
#   cmake --build build-win && ctest --test-dir build-win
# Debian: g++-mingw-w64-x86-64-posix wine wine64 doctest-dev
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(VITALS_CROSS_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${VITALS_CROSS_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${VITALS_CROSS_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${VITALS_CROSS_TRIPLE}-windres)

# Look for libraries and packages only in the mingw tree, never in the host's /usr.
set(CMAKE_FIND_ROOT_PATH /usr/${VITALS_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Static runtime: the .exe files need only KERNEL32, msvcrt and WS2_32 from wine.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

set(CMAKE_CROSSCOMPILING_EMULATOR wine)

# The tests copy this header into the build tree; -I/usr/include would pull glibc headers
# into a mingw build.
if(EXISTS /usr/include/doctest/doctest.h)
    set(VITALS_DOCTEST_HEADER /usr/include/doctest/doctest.h CACHE FILEPATH "doctest.h to use")
endif()
