// jemalloc reads the global `malloc_conf` when it starts. CMake compiles
// this file into every target linked with demarche_allocator, so each
// executable holds exactly one definition (a static library's copy is never
// pulled in beside the executable's own).
#include "services/allocator_config.h"

extern "C" {
const char* malloc_conf = demarche::kMallocConf;
}
